"""Clocks: the system clock, and a manual clock that tests and screenshots drive by hand."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Time as the demo provider and the status line see it."""

    def now(self) -> datetime:
        """The current wall-clock time (timezone-aware, UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` on this clock."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when `advance()` is called. Sleepers wake when their time comes."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._changed: asyncio.Event | None = None

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline passed."""
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._elapsed += seconds
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def sleep(self, seconds: float) -> None:
        deadline = self._elapsed + max(0.0, seconds)
        while self._elapsed < deadline:
            if self._changed is None:
                self._changed = asyncio.Event()
            await self._changed.wait()


def format_age(seconds: float) -> str:
    """ "42 s", "7 min" or "2.5 h"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
