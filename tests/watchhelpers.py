"""Helpers for `JobWatcher` tests: the demo with faults, an instant sleep, an event recorder."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

from tests.conftest import wait_until
from tui.core.clock import ManualClock
from tui.core.errors import ProviderError
from tui.core.models import Job, JobState, LogBatch
from tui.core.providers.demo.provider import DemoProvider
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import trusted_jobs
from tui.core.watch import JobWatcher, LogLines, NodesUpdated, WatchEvent

POLL = 3600.0
"""The watcher's poll interval: tests poll with `refresh_now()`, never by waiting."""
CFD, MD, SWEEP = "demo:4207", "demo:4211", "demo:4198"
E = TypeVar("E")


class FaultyDemo(DemoProvider):
    """The real demo, with faults and endings the test switches on."""

    def __init__(self, root: Path, clock: ManualClock) -> None:
        super().__init__(state_dir=root, known_hosts_path=root / "known_hosts", clock=clock)
        self.ended: set[str] = set()
        """Names of jobs shown as completed."""
        self.listing_fails = False
        self.refusals = 0
        """Log connections still to refuse."""
        self.drop = False
        """Break the open log stream at its next batch (the batch is not delivered)."""
        self.offsets: list[tuple[str, int]] = []
        """(job name, offset) of every log connection."""
        self.warnings: dict[str, str] = {}

    async def list_jobs(self) -> list[Job]:
        if self.listing_fails:
            raise ProviderError("the scheduler did not answer (injected)")
        return [
            dataclasses.replace(job, state=JobState.COMPLETED) if job.name in self.ended else job
            for job in await super().list_jobs()
        ]

    async def stream_log(self, job: Job, *, offset: int = 0) -> AsyncGenerator[LogBatch, None]:
        self.offsets.append((job.name, offset))
        if self.refusals:
            self.refusals -= 1
            raise ProviderError("connection refused (injected)")
        async with contextlib.aclosing(super().stream_log(job, offset=offset)) as stream:
            async for batch in stream:
                if self.drop:
                    self.drop = False
                    raise ConnectionResetError("connection dropped (injected)")
                yield batch

    def time_warning(self, job: Job) -> str | None:
        return self.warnings.get(job.name)

    async def straight_log(self, job: Job, count: int) -> list[str]:
        """The first `count` lines of `job`'s log, read in one unbroken stream."""
        lines: list[str] = []
        async with contextlib.aclosing(super().stream_log(job)) as stream:
            async for batch in stream:
                lines += batch.lines
                if len(lines) >= count:
                    return lines[:count]
        return lines


class Sleeps:
    """The watcher's sleep: poll waits last until cancelled, retry waits are only recorded."""

    def __init__(self) -> None:
        self.retries: list[float] = []

    async def __call__(self, seconds: float) -> None:
        if seconds == POLL:
            await asyncio.Event().wait()
        self.retries.append(seconds)
        await asyncio.sleep(0)


class Recorder:
    """Every event the watcher sent, in order."""

    def __init__(self, watcher: JobWatcher) -> None:
        self.events: list[WatchEvent] = []
        watcher.subscribe(self.events.append)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def index(self, predicate: Callable[[WatchEvent], bool]) -> int:
        return next(i for i, e in enumerate(self.events) if predicate(e))

    def lines(self, name: str) -> list[str]:
        return [line for e in self.of(LogLines) if e.job.name == name for line in e.lines]

    async def until(self, predicate: Callable[[WatchEvent], bool], what: str) -> None:
        await wait_until(lambda: any(map(predicate, self.events)), what=what)


def trusted(pool: SshPool) -> set[str]:
    """The jobs with host keys trusted for them alone."""
    return {unquote(tag) for tag in trusted_jobs(pool.job_hosts_path)}


def is_log_of(name: str) -> Callable[[WatchEvent], bool]:
    return lambda e: isinstance(e, LogLines) and e.job.name == name


async def started(watcher: JobWatcher) -> Recorder:
    """Start `watcher` and wait until cfd-wing's nodes and first log lines are in."""
    seen = Recorder(watcher)
    watcher.start()
    await seen.until(lambda e: isinstance(e, NodesUpdated), "cfd-wing's nodes")
    await seen.until(is_log_of("cfd-wing"), "cfd-wing's log")
    return seen
