"""`JobWatcher`: polls a provider and follows the selected job, reporting typed events.

    watcher = JobWatcher(provider, clock=clock, tunnels=tunnels, trust=pool, poll_interval=2.0)
    unsubscribe = watcher.subscribe(on_event)   # JobsUpdated, NodesUpdated, LogLines, Failed ...
    watcher.start()                             # provider.start(), then list_jobs every interval
    watcher.select("demo:4207")                 # its nodes and its log follow
    await watcher.close()

Headless (no Textual): the dashboard is only a subscriber.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from tui.core.clock import Clock
from tui.core.config.settings import DEFAULT_POLL_INTERVAL
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import Job, JobState, Node
from tui.core.providers.base import CompositeProvider, Provider
from tui.core.subscribers import Subscribers
from tui.core.tunnels import TunnelManager
from tui.core.watch.events import (
    Failed,
    JobsEnded,
    JobsUpdated,
    LogStarted,
    NodesUpdated,
    Pane,
    ProviderProblem,
    ProviderStarted,
    ProviderStartFailed,
    Recovered,
    SelectionChanged,
    TimeLimitNear,
    TimeWarnings,
    WatchEvent,
)
from tui.core.watch.follow import LogBackoff, LogFollower, Sleep

log = logging.getLogger(__name__)

SLOW_SHARE = 0.25
"""An answer taking more than this share of the poll interval makes the watcher back off."""
BACKOFF_FACTOR = 4.0
"""When slow, the interval becomes this many times the answer time..."""
BACKOFF_MAX = 120.0
"""... up to this many seconds."""

Subscriber = Callable[[WatchEvent], None]


class JobTrust(Protocol):
    """Host keys trusted for one job only (`tui.core.ssh.SshPool` is one)."""

    def forget_job_trust(self, job_id: str) -> int:
        """The job ended: drop its host keys."""
        ...

    def retain_job_trust(self, job_ids: Iterable[str]) -> int:
        """Keep the host keys of `job_ids` only."""
        ...


class JobWatcher:
    """Polls jobs, refreshes the selected job's nodes and follows its log.

    Args:
        provider: Where jobs, nodes and logs come from.
        clock: For the ages in `JobsUpdated.now`.
        tunnels: Closed when their job ends; saved ones restored on the first poll.
        trust: Job-scoped host-key trust, dropped when the job ends.
        poll_interval: Seconds between two job listings.
        sleep: Waits between polls and before log retries (tests make it instant).
        log_backoff: Delays before resuming a broken log stream.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        clock: Clock,
        tunnels: TunnelManager | None = None,
        trust: JobTrust | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        sleep: Sleep = asyncio.sleep,
        log_backoff: LogBackoff | None = None,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.tunnels = tunnels
        self.trust = trust
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._log_backoff = log_backoff or LogBackoff()
        self.jobs: dict[str, Job] = {}
        """The last listing, by job key."""
        self.nodes: dict[str, Node] = {}
        """The selected job's nodes, by name."""
        self.selected: Job | None = None
        self.time_warnings: dict[str, str] = {}
        self.follower: LogFollower | None = None
        """The selected job's log stream."""
        self.log_name = ""
        """Which of the selected job's logs is followed ("" for its first, e.g. StdOut)."""
        self._subscribers: Subscribers[WatchEvent] = Subscribers("job watcher")
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failing: set[Pane] = set()
        self._fresh_at: dict[Pane, float] = {}
        """When each pane's data was last fetched successfully (clock.monotonic())."""
        self._reported: set[str] = set()
        self._warned: set[str] = set()
        self._active: set[str] | None = None
        self._restored = False
        self._closed = False
        self.answer_time: float | None = None
        """Seconds the last job listing took (answer or failure), None before the first."""
        self.answered_at: float | None = None
        """When the last listing answered successfully (clock.monotonic())."""
        self.interval = poll_interval
        """The interval in use: `poll_interval`, longer while the service answers slowly."""

    # --- subscribers ---------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with every event; returns the function that unsubscribes."""
        return self._subscribers.add(callback)

    def _emit(self, event: WatchEvent) -> None:
        self._subscribers.emit(event)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the provider, then poll it every `poll_interval` seconds (idempotent)."""
        if "poll" not in self._tasks and not self._closed:
            self._spawn("poll", self._poll())

    async def close(self) -> None:
        """Stop polling and following (the provider itself stays open). Idempotent."""
        self._closed = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self) -> None:
        try:
            await self.provider.start()
        except Exception as exc:
            self._emit(ProviderStartFailed(as_user_error(exc)))
            return
        self._emit(ProviderStarted())
        while True:
            await self.refresh_now()
            await self._sleep(self.interval)

    def _timed(self, took: float) -> None:
        """Back off while the scheduler answers slowly; come back once it is quick again."""
        self.answer_time = took
        base = self.poll_interval
        slow = took > SLOW_SHARE * base
        backoff = min(BACKOFF_MAX, took * BACKOFF_FACTOR)
        self.interval = max(base, backoff) if slow else base

    def poll_status(self) -> str:
        """`poll 2s · answer 0.3s, 1s ago` for the status line ("" before the first answer)."""
        if self.answer_time is None:
            return ""
        interval = f"poll {self.interval:.0f}s" + (
            " (slow service: backing off)" if self.interval > self.poll_interval else ""
        )
        if self.answered_at is None:
            return f"{interval} · no answer yet"
        age = max(0.0, self.clock.monotonic() - self.answered_at)
        return f"{interval} · answer {self.answer_time:.1f}s, {age:.0f}s ago"

    # --- polling -------------------------------------------------------------------------------

    async def refresh_now(self) -> None:
        """List jobs once; follow what changed (warnings, trust, tunnels, the selected job)."""
        began = self.clock.monotonic()
        try:
            jobs = await self.provider.list_jobs()
        except Exception as exc:
            self._timed(self.clock.monotonic() - began)
            self._fail(Pane.JOBS, as_user_error(exc))
            return
        self._timed(self.clock.monotonic() - began)
        self.answered_at = self.clock.monotonic()
        self._recover(Pane.JOBS)
        self.jobs = {job.key: job for job in jobs}
        problems = self.provider.problems() if isinstance(self.provider, CompositeProvider) else {}
        problems = {**problems, **self.provider.listing_problems()}
        for name, problem in problems.items():
            if name not in self._reported:
                self._emit(ProviderProblem(name, problem))
        self._reported = set(problems)
        self._emit(JobsUpdated(tuple(jobs), self.clock.now(), problems))
        self._warn_about_time(jobs)
        ended = self._drop_trust_of_ended(jobs)
        await self._follow_jobs_with_tunnels(jobs)
        if ended:
            self._emit(JobsEnded(ended))
        await self._follow_selection(jobs)

    def _warn_about_time(self, jobs: list[Job]) -> None:
        warnings = {}
        for job in jobs:
            warning = self.provider.time_warning(job) if job.state.is_active else None
            if warning:
                warnings[job.key] = warning
                if job.key not in self._warned:
                    self._warned.add(job.key)
                    self._emit(TimeLimitNear(job, warning))
        self.time_warnings = warnings
        self._emit(TimeWarnings(dict(warnings)))

    def _drop_trust_of_ended(self, jobs: list[Job]) -> tuple[str, ...]:
        """Forget host keys trusted for jobs that ended; the first time, keep the active ones."""
        active = {job.key for job in jobs if not job.state.is_finished}
        ended: tuple[str, ...] = ()
        if self._active is None:
            if self.trust is not None:
                self.trust.retain_job_trust(active)  # jobs that ended while the app was closed
        else:
            ended = tuple(sorted(self._active - active))
            for key in ended:
                if self.trust is not None:
                    self.trust.forget_job_trust(key)
        self._active = active
        return ended

    async def _follow_jobs_with_tunnels(self, jobs: list[Job]) -> None:
        """Close the tunnels of jobs that ended; on the first poll, restore saved ones."""
        if self.tunnels is None:
            return
        await self.tunnels.sync_jobs(jobs)
        if not self._restored:
            self._restored = True
            await self.tunnels.restore([j.key for j in jobs if j.state is JobState.RUNNING])

    async def _follow_selection(self, jobs: list[Job]) -> None:
        if self.selected is None:
            if jobs:
                self.select(jobs[0].key)
            return
        fresh = self.jobs.get(self.selected.key)
        if fresh is not None and fresh != self.selected:
            started = fresh.state is not self.selected.state
            restart_log = started and self.selected.state is JobState.QUEUED
            self.selected = fresh
            if restart_log:
                self._follow_log(fresh)
        await self._refresh_nodes()

    # --- the selected job ----------------------------------------------------------------------

    def select(self, key: str) -> None:
        """Show the job `key`: load its nodes and follow its log (no-op if already selected)."""
        job = self.jobs.get(key)
        if job is None or (self.selected is not None and self.selected.key == key):
            return
        self.selected = job
        self.nodes = {}
        self.log_name = ""
        self._emit(SelectionChanged(job))
        self._spawn("nodes", self._refresh_nodes())
        self._follow_log(job)

    async def _refresh_nodes(self) -> None:
        job = self.selected
        if job is None:
            return
        try:
            nodes = await self.provider.list_nodes(job)
        except Exception as exc:
            self._fail(Pane.NODES, as_user_error(exc))
            return
        if self.selected is None or self.selected.key != job.key:
            return  # the selection moved on while we waited
        self._recover(Pane.NODES)
        self.nodes = {node.name: node for node in nodes}
        self._emit(NodesUpdated(job, tuple(nodes)))

    def switch_log(self, name: str) -> None:
        """Follow the selected job's log `name` (one of `provider.log_names`) from its start."""
        if self.selected is not None:
            self.log_name = name
            self._follow_log(self.selected)

    def _follow_log(self, job: Job) -> None:
        self._emit(LogStarted(job, self.log_name))
        self.follower = LogFollower(
            self.provider,
            job,
            emit=self._emit,
            sleep=self._sleep,
            backoff=self._log_backoff,
            name=self.log_name,
        )
        self._spawn("log", self.follower.run())

    # --- helpers -------------------------------------------------------------------------------

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as the task `name`, cancelling the one it replaces."""
        if self._closed:
            work.close()
            return
        old = self._tasks.pop(name, None)
        if old is not None:
            old.cancel()
        task = asyncio.create_task(work, name=f"job-watcher-{name}")
        self._tasks[name] = task
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        for name, known in list(self._tasks.items()):
            if known is task:
                del self._tasks[name]
        if not task.cancelled() and task.exception() is not None:
            log.error("job watcher task %s failed", task.get_name(), exc_info=task.exception())

    def _fail(self, pane: Pane, error: ClusterdeckError) -> None:
        first = pane not in self._failing
        self._failing.add(pane)
        fresh = self._fresh_at.get(pane)
        age = None if fresh is None else max(0.0, self.clock.monotonic() - fresh)
        self._emit(Failed(pane, error, first=first, age=age))

    def _recover(self, pane: Pane) -> None:
        self._fresh_at[pane] = self.clock.monotonic()
        if pane in self._failing:
            self._failing.discard(pane)
            self._emit(Recovered(pane))
