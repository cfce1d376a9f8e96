"""A small async client for Rescale's REST API v2: auth, pagination, retries and error mapping.

Every path is relative to `{base}/api/v2/` and ends with a slash (except file tails). Only GETs
are retried: on 5xx, on 429 (waiting `Retry-After`, capped) and on network errors, with
exponential backoff. POSTs (stopping a job) are sent exactly once. A 429 whose `Retry-After` is
longer than the cap, or one that outlasts the retries, starts a cool-down (at most
`max_cooldown`) during which requests fail at once without reaching Rescale, so a rate-limit
storm is not made worse. Bodies are capped in size and nesting (see `limits`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui import __version__
from tui.core.clock import Clock
from tui.core.errors import ProviderAuthError, ProviderError, ProviderUnavailable
from tui.core.printable import printable
from tui.core.providers.rescale.credentials import ApiKey
from tui.core.providers.rescale.limits import (
    MAX_COOLDOWN,
    MAX_RESPONSE_BYTES,
    RequestBudget,
    decode_json,
    parse_retry_after,
    send_capped,
)

REGIONS: Mapping[str, str] = {
    "platform": "https://platform.rescale.com",
    "eu": "https://eu.rescale.com",
    "jp": "https://platform.rescale.jp",
    "kr": "https://kr.rescale.com",
    "itar": "https://itar.rescale.com",
}
"""Rescale's regional platforms (see shared/reference/rescale-api.md 1.1)."""
API_PREFIX = "/api/v2/"
MAX_PAGES = 1000
CONCURRENCY = 4
"""Requests in flight at once, per provider (gentle on the documented rate limits)."""

log = logging.getLogger(__name__)


class RescaleNotFound(ProviderError):
    """Rescale answered 404 for a path (a deleted job, a tail before execution, a wrong URL)."""

    title = "Not found on Rescale"

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class RescaleRateLimited(ProviderUnavailable):
    """Rescale answered 429 (too many requests); `retry_after` says when to ask again."""

    title = "Rescale rate limit"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RescaleKeyRejected(ProviderAuthError):
    """Rescale answered 401: the API key is wrong, expired or for another platform."""

    def __init__(self, message: str, *, detail: str, key_source: str) -> None:
        super().__init__(message)
        self.detail = detail
        self.key_source = key_source


class RescaleUnreachable(ProviderUnavailable):
    """No answer from Rescale (network error or timeout); `url` is the URL tried."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


@dataclass(frozen=True)
class RetryPolicy:
    """How GETs are retried."""

    retries: int = 4
    backoff: float = 1.0
    """First wait in seconds; doubles after each failure."""
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    """A longer `Retry-After` is not waited for in the call: it fails and cools down instead."""
    max_cooldown: float = MAX_COOLDOWN
    """The longest cool-down any `Retry-After` can start."""
    max_response_bytes: int = MAX_RESPONSE_BYTES
    """Larger answers are abandoned (`ResponseTooLarge`)."""


def _detail(response: httpx.Response) -> str:
    """The `detail` of a DRF error body, or field messages, or a short raw excerpt."""
    try:
        body = decode_json(response)
    except ValueError:
        return printable(response.text.strip(), 120)
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return printable(body["detail"], 300)
        parts = [f"{k}: {v}" for k, v in body.items()]
        return printable("; ".join(parts), 300)
    return printable(str(body), 120)


class RescaleApi:
    """Authenticated requests against one Rescale platform.

    Args:
        base_url: Scheme and host (and port), e.g. https://platform.rescale.com.
        key: The API key; only its `source` is ever shown.
        clock: Sleeps for backoff and measures cool-downs.
        timeout: Seconds for each request.
        policy: Retries for GETs.
        key_hint: Where keys are read from, appended to authentication errors.
        transport: An httpx transport (tests may pass one; by default the network).
    """

    def __init__(
        self,
        base_url: str,
        key: ApiKey,
        *,
        clock: Clock,
        timeout: float = 20.0,
        policy: RetryPolicy | None = None,
        key_hint: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_source = key.source
        self._clock = clock
        self._timeout = timeout
        self._policy = policy or RetryPolicy()
        self._key_hint = key_hint
        self._cooldown_until = 0.0
        self._closed = False
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self.budget = RequestBudget(clock)
        """Keeps requests within Rescale's documented hourly budget for v2 job queries."""
        self._client = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            headers={
                "Authorization": f"Token {key.reveal()}",
                "Accept": "application/json",
                "User-Agent": f"clusterdeck/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"RescaleApi({self.base_url!r}, key from {self.key_source})"

    @property
    def closed(self) -> bool:
        """True after `aclose()`."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection pool; later requests fail with a ProviderError."""
        self._closed = True
        await self._client.aclose()

    # --- requests --------------------------------------------------------------------------

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The decoded JSON of a GET (retried on 5xx, 429 and network errors)."""
        response = await self._request("GET", path, params, retry=True)
        return self._json(response, path)

    async def get_text(self, path: str, params: Mapping[str, str | int] | None = None) -> str:
        """The body of a GET as text (retried like `get`)."""
        response = await self._request("GET", path, params, retry=True)
        return response.text

    async def get_all(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        page_size: int = 100,
    ) -> list[dict[str, Any]]:
        """Every `results` item of a paginated list, following `next` (same host only)."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        first: Mapping[str, str | int] | None = {**(params or {}), "page_size": page_size}
        for _ in range(MAX_PAGES):
            assert url is not None
            page = await self.get(url, first)
            if isinstance(page, list):  # some lists are bare arrays
                return [item for item in page if isinstance(item, dict)]
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise ProviderError(
                    f"Rescale sent an unexpected answer for {path} (no `results` list); "
                    f"is {self.base_url} the Rescale API?"
                )
            items.extend(item for item in page["results"] if isinstance(item, dict))
            url, first = page.get("next") or None, None
            if url is None:
                return items
            self._check_same_host(url)
        raise ProviderError(f"{path} has more than {MAX_PAGES} pages; stopped reading")

    async def post(self, path: str) -> int:
        """POST with an empty body, exactly once (never retried). Returns the status code."""
        response = await self._request("POST", path, None, retry=False)
        return response.status_code

    # --- internals -------------------------------------------------------------------------

    def _check_same_host(self, url: str) -> None:
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        if theirs.scheme != ours.scheme:
            raise ProviderError(
                f"Rescale's next page is {theirs.scheme}:// where {self.base_url} is "
                f"{ours.scheme}://; refusing to send the API key over another scheme (in clear)"
            )
        if theirs.netloc != ours.netloc:
            raise ProviderError(
                f"Rescale's next page points at another host ({theirs.netloc}); refusing to "
                "send the API key there"
            )

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        *,
        retry: bool,
    ) -> httpx.Response:
        policy = self._policy
        attempt = 0
        while True:
            if self._closed:
                raise ProviderError("the Rescale connection was closed (the provider stopped)")
            self._check_cooldown()
            wait: float | None = None
            await self.budget.take()
            try:
                async with self._limit:
                    request = self._client.build_request(method, path, params=params)
                    # httpx's timeouts bound each read, not the whole answer: a server that
                    # trickles an endless body would hold the request (and the poll) forever.
                    async with asyncio.timeout(self._timeout):
                        response = await send_capped(
                            self._client, request, limit=policy.max_response_bytes
                        )
            except (httpx.TimeoutException, TimeoutError):
                error: ProviderError = RescaleUnreachable(
                    f"Rescale ({self.base_url}) did not answer {_short(path)} within "
                    f"{self._timeout:g} s; it may be slow or unreachable (raise `timeout` if "
                    "this persists)",
                    url=self._url(path),
                )
            except httpx.TransportError as exc:
                error = self._network_error(exc, path)
            else:
                log.debug("%s %s -> %s", method, _short(path), response.status_code)
                if response.status_code < 300:
                    return response
                error, retryable, wait = self._http_error(response, path)
                if not retryable:
                    raise error
            delay = (
                wait if wait is not None else min(policy.max_backoff, policy.backoff * 2**attempt)
            )
            if isinstance(error, RescaleRateLimited) and (
                not retry or attempt >= policy.retries or delay > policy.max_retry_after
            ):
                self._cooldown_until = self._clock.monotonic() + delay
                raise error
            if not retry or attempt >= policy.retries:
                raise error
            attempt += 1
            log.debug("retrying %s %s in %.1f s (%s)", method, _short(path), delay, error.title)
            await self._clock.sleep(delay)

    def _check_cooldown(self) -> None:
        left = self._cooldown_until - self._clock.monotonic()
        if left > 0:
            raise RescaleRateLimited(
                f"Rescale rate-limited this key; not asking again for {left:.0f} s (it will "
                "resume by itself; poll less often if this keeps happening)",
                retry_after=left,
            )

    def _network_error(self, exc: httpx.TransportError, path: str) -> RescaleUnreachable:
        host = urlsplit(self.base_url).netloc
        reason = str(exc) or type(exc).__name__
        return RescaleUnreachable(
            f"cannot reach Rescale at {host} ({reason}); check the network connection, and "
            f"that `region`/`base_url` name your Rescale platform (now {self.base_url})",
            url=self._url(path),
        )

    def _url(self, path: str) -> str:
        """The URL requested for `path` (a `next` link is absolute already)."""
        return path if urlsplit(path).scheme else self.base_url + _short(path)

    def _http_error(
        self, response: httpx.Response, path: str
    ) -> tuple[ProviderError, bool, float | None]:
        """(error, retryable, wait) for a non-2xx answer."""
        code = response.status_code
        detail = _detail(response)
        where = _short(path)
        if code == 401:
            return (
                RescaleKeyRejected(
                    f"Rescale ({self.base_url}) rejected the API key read from "
                    f"{self.key_source} (401: {detail or 'unauthorized'}). {self._key_hint}. "
                    "Make a new key in Rescale under Settings > API, and check that `region` "
                    "is the platform your account lives on",
                    detail=detail,
                    key_source=self.key_source,
                ),
                False,
                None,
            )
        if code == 403:
            message = f"Rescale refused {where} (403: {detail or 'forbidden'})"
            return ProviderAuthError(message, title="Not allowed on Rescale"), False, None
        if code == 404:
            message = f"Rescale has no {where} (404: {detail or 'not found'})"
            return RescaleNotFound(message, path=path), False, None
        if code == 429:
            asked = parse_retry_after(response.headers.get("retry-after", ""), self._clock.now())
            wait = None if asked is None else min(asked, self._policy.max_cooldown)
            message = (
                f"Rescale rate-limited {where} (429: {detail or 'too many requests'}); "
                + _wait_text(asked, wait)
            )
            return RescaleRateLimited(message, retry_after=wait or 0.0), True, wait
        if code >= 500:
            message = (
                f"Rescale had a server error for {where} ({code}: {detail or 'no detail'}); "
                "it is usually temporary"
            )
            return ProviderUnavailable(message), True, None
        if 300 <= code < 400:
            target = printable(response.headers.get("location", "?"), 200)
            message = (
                f"Rescale redirected {where} to {target}; check `base_url`/`region` "
                f"(now {self.base_url})"
            )
            return ProviderError(message), False, None
        return ProviderError(f"Rescale refused {where} ({code}: {detail})"), False, None

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return decode_json(response)
        except ValueError as exc:
            kind = printable(response.headers.get("content-type", "no content type"), 80)
            what = "a malformed response" if "deeply" in str(exc) else "malformed JSON"
            raise ProviderError(
                f"Rescale sent {what} for {_short(path)} ({exc}; {kind}, "
                f"{len(response.content):,} bytes); if this persists, check that "
                f"`base_url`/`region` point at the Rescale API (now {self.base_url})"
            ) from None


def _wait_text(asked: float | None, wait: float | None) -> str:
    """What a 429's message says about the wait."""
    if asked is None or wait is None:
        return "no usable Retry-After: backing off"
    if asked > wait:
        return f"waiting {wait:.0f} s (Rescale asked for {asked:.6g} s; {wait:.0f} s is the cap)"
    return f"retry in {wait:g} s"


def _short(path: str) -> str:
    """A path without scheme, host or query, for messages."""
    split = urlsplit(path)
    return split.path if split.scheme else API_PREFIX + path.split("?", 1)[0]
