"""Helpers for tests that point a `RescaleProvider` at the fake platform."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from tests.fake_rescale.server import FakeRescale
from tui.core.clock import SystemClock
from tui.core.models import Job, LogBatch
from tui.core.providers.rescale.api import RetryPolicy
from tui.core.providers.rescale.provider import RescaleProvider

FAST_RETRY = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05, max_retry_after=30)


class RecordingClock(SystemClock):
    """The real clock, except that sleeps are recorded and cut to at most 10 ms."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


def make_provider(fake: FakeRescale, **overrides: Any) -> RescaleProvider:
    """A provider on the fake, tuned for tests (no list throttling, fast polls and retries)."""
    options: dict[str, Any] = {
        "base_url": fake.base_url,
        "poll_interval": 0,
        "tail_interval": 0.02,
        "tail_lines": 20,
        "timeout": 3,
        "retry": FAST_RETRY,
        "clock": RecordingClock(),
    }
    options.update(overrides)
    return RescaleProvider("rescale-test", **options)


async def job_named(provider: RescaleProvider, name: str) -> Job:
    """The listed job called `name`."""
    for job in await provider.list_jobs():
        if job.name == name:
            return job
    raise AssertionError(f"no job {name!r} listed")


class LogReader:
    """Reads a log stream batch by batch, collecting lines and notes."""

    def __init__(self, stream: AsyncIterator[LogBatch]) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.notes: list[str] = []
        self.offset = 0
        self.finished = False

    async def until(self, predicate: Any, *, within: float = 10.0) -> None:
        """Read batches until `predicate(self)` holds; fail after `within` seconds."""
        async with asyncio.timeout(within):
            while not predicate(self):
                if self.finished:
                    raise AssertionError(f"stream ended first; lines={self.lines[-5:]}")
                batch = await anext(self.stream)
                assert batch.offset == self.offset + len(batch.lines), "offsets must be contiguous"
                self.lines.extend(batch.lines)
                self.notes.extend(batch.notes)
                self.offset = batch.offset
                self.finished = batch.finished

    async def to_end(self, *, within: float = 10.0) -> None:
        await self.until(lambda r: r.finished, within=within)

    async def close(self) -> None:
        closer = getattr(self.stream, "aclose", None)
        if closer is not None:
            await closer()
