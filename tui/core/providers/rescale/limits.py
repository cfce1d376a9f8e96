"""Bounds on what one Rescale answer may cost: body size, JSON nesting and `Retry-After`.

A body is read in chunks and abandoned past `MAX_RESPONSE_BYTES` (decoded size, so a
compressed bomb is stopped too); JSON nested too deeply for the decoder is a malformed answer,
not a crash; a `Retry-After` is parsed strictly and never trusted beyond a cap.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tui.core.clock import Clock
from tui.core.errors import ProviderError
from tui.core.printable import printable

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""The largest answer read (the biggest documented pages are well under 1 MB)."""
MAX_COOLDOWN = 300.0
"""The longest wait a `Retry-After` can impose, in seconds."""

_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class ResponseTooLarge(ProviderError):
    """An answer was larger than the cap; it was not read to the end."""

    title = "Rescale answer too large"


async def send_capped(
    client: httpx.AsyncClient, request: httpx.Request, *, limit: int = MAX_RESPONSE_BYTES
) -> httpx.Response:
    """Send `request` and read the body, at most `limit` bytes (decoded); a read response.

    Raises:
        ResponseTooLarge: The declared or the actual body is larger than `limit`.
    """
    response = await client.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity").lower()
        if declared.isdigit() and encoded == "identity" and int(declared) > limit:
            raise _too_large(request, limit, f"it declares {int(declared):,} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise _too_large(request, limit, "stopped reading it there")
    finally:
        await response.aclose()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body),
        request=request,
        extensions=response.extensions,
    )


def _too_large(request: httpx.Request, limit: int, how: str) -> ResponseTooLarge:
    url = printable(str(request.url.copy_with(query=None)), 300)
    return ResponseTooLarge(
        f"Rescale's answer to {request.method} {url} is larger than {limit // 2**20} MB "
        f"({how}); nothing of it was used. Check that `base_url`/`region` name the Rescale "
        "API; if they do, Rescale or a proxy in between is misbehaving: try again later"
    )


def decode_json(response: httpx.Response) -> Any:
    """The JSON body; ValueError when it is not JSON or is nested too deeply to decode."""
    try:
        return json.loads(response.content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_retry_after(raw: str, now: datetime) -> float | None:
    """Seconds a `Retry-After` value asks for (uncapped), or None when it is not valid.

    Accepts a non-negative finite number of seconds or an HTTP-date (a past date is 0);
    negative, infinite, NaN and unparsable values are None (the caller backs off normally).
    """
    raw = raw.strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


V2_JOB_QUERIES_PER_HOUR = 90_000
"""Rescale's documented budget for v2 job queries (`jobs-usage`); v3 has 7,200 (unused here)."""
BUDGET_SHARE = 0.85
"""clusterdeck keeps to this share of the budget (as Rescale's own Interlink client does)."""


class RequestBudget:
    """A token bucket: at most `per_hour` requests an hour, `burst` of them at once.

    `take()` returns at once while tokens are left, else waits (on `clock`) for the next one,
    so even thousands of active jobs never push a key over Rescale's limit into a 429 lock-out.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        per_hour: float = V2_JOB_QUERIES_PER_HOUR * BUDGET_SHARE,
        burst: int = 1000,
    ) -> None:
        self._clock = clock
        self._rate = per_hour / 3600.0
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at = clock.monotonic()
        self.waited = 0.0
        """Seconds requests have waited for the budget in total."""

    async def take(self) -> None:
        """One request's token (waiting for it when the bucket is empty)."""
        while True:
            now = self._clock.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            delay = (1.0 - self._tokens) / self._rate
            self.waited += delay
            await self._clock.sleep(delay)
