"""Notifications about jobs: started, completed, failed, time left, log lines, tunnels.

    notifier = JobNotifier(settings.notify, clock=clock, deliver=show)
    watcher.subscribe(notifier.on_event)   # job transitions, time warnings, log lines
    notifier.tunnel_failed("jupyter", "connection refused")

Each event becomes one `Notice`, delivered once (a job's start is noticed on the poll that
sees it, never again on the next ones), and kept in `history`. Text that came from the
cluster is made inert here (`tui.core.printable`), so every channel gets safe text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tui.core.clock import Clock
from tui.core.config.watching import NotifySettings
from tui.core.models import Job, JobState
from tui.core.printable import printable
from tui.core.tunnels import TunnelManager
from tui.core.tunnels.model import TunnelState
from tui.core.tunnels.runtime import EventKind, TunnelEvent
from tui.core.watch.events import (
    JobsUpdated,
    LogLines,
    LogStarted,
    TimeLimitNear,
    WatchEvent,
)

HISTORY = 500
"""Notices kept for the history screen."""
PATTERN_BURST = 5
"""Log-pattern notices shown within `PATTERN_WINDOW` s; more go to the history only."""
PATTERN_WINDOW = 10.0
MESSAGE_LIMIT = 300

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """One notification, its text already inert."""

    kind: str
    """One of `tui.core.config.watching.NOTICE_KINDS`."""
    title: str
    message: str
    severity: Severity
    at: datetime
    job: str = ""
    """The job's name ("" for tunnels)."""
    loud: bool = True
    """False: kept in the history only (a burst of matching log lines)."""
    toast: bool = True
    """False when the app shows it already by other means (tunnel failures)."""
    number: int = 0
    """1 for the session's first notice, then 2, 3...: a stable key."""


class JobNotifier:
    """Turns watcher events into `Notice`s, each once; keeps the last `HISTORY` of them."""

    def __init__(
        self,
        settings: NotifySettings,
        *,
        clock: Clock,
        deliver: Callable[[Notice], None],
    ) -> None:
        self.settings = settings
        self.history: deque[Notice] = deque(maxlen=HISTORY)
        self._clock = clock
        self._deliver = deliver
        self._states: dict[str, JobState] | None = None
        self._names: dict[str, str] = {}
        self._said: set[tuple[str, str]] = set()
        self._lines_seen: dict[str, int] = {}
        """Per job: how many lines of its log were checked for patterns (a replay skips them)."""
        self._position: dict[str, int] = {}
        self._pattern_times: deque[float] = deque()
        self.total = 0
        """Notices made this session (the history keeps the last `HISTORY`)."""

    def on_event(self, event: WatchEvent) -> None:
        """A `JobWatcher` subscriber."""
        match event:
            case JobsUpdated(jobs=jobs):
                self._jobs(jobs)
            case TimeLimitNear(job=job, warning=warning):
                self._notice(
                    "time",
                    "Time limit",
                    f"{job.name}: {warning} of its time limit. Its shells and tunnels "
                    "close when it ends.",
                    "warning",
                    job,
                )
            case LogStarted(job=job):
                self._position[job.key] = 0
            case LogLines(job=job, lines=lines):
                self._log_lines(job, lines)
            case _:
                pass

    def watch_tunnels(self, manager: TunnelManager) -> Callable[[], None]:
        """Notice every tunnel of `manager` that fails; returns the unsubscriber."""
        states: dict[str, TunnelState] = {}

        def on_event(event: TunnelEvent) -> None:
            if event.kind is not EventKind.STATE:
                return
            tunnel = event.tunnel
            before, states[tunnel.id] = states.get(tunnel.id), tunnel.state
            if tunnel.state is TunnelState.FAILED and before is not TunnelState.FAILED:
                self.tunnel_failed(tunnel.spec.label, tunnel.reason)

        return manager.subscribe(on_event)

    def tunnel_failed(self, label: str, reason: str) -> None:
        """A tunnel failed (the tunnel screen's notifier shows it in the app already)."""
        self._notice("tunnel", f"Tunnel {label} failed", reason, "error", None, toast=False)

    # --- jobs -------------------------------------------------------------------------------------

    def _jobs(self, jobs: tuple[Job, ...]) -> None:
        states = {job.key: job.state for job in jobs}
        before, self._states = self._states, states
        for job in jobs:
            self._names[job.key] = job.name
        if before is None:
            return  # the first listing: what is already so is not news
        for job in jobs:
            was = before.get(job.key)
            if was is None or was is job.state:
                continue
            if job.state is JobState.RUNNING and was is not JobState.RUNNING:
                self._once(job.key, "started", job, f"{job.name} started", self._where(job))
            elif job.state.is_finished and was.is_active:
                self._ended(job)
        for key, was in before.items():
            if key not in states and was.is_active:
                name = self._names.get(key, key)
                self._once(
                    key,
                    "completed",
                    None,
                    f"{name} left the queue",
                    f"{name} is no longer listed; how it ended is not known "
                    "(it may have ended between two polls).",
                    name=name,
                )

    def _ended(self, job: Job) -> None:
        detail = job.status_detail
        if job.state is JobState.COMPLETED:
            self._once(job.key, "completed", job, f"{job.name} completed", detail or "completed")
        elif job.state is JobState.FAILED:
            self._once(
                job.key,
                "failed",
                job,
                f"{job.name} failed",
                detail or "failed (no reason given)",
                severity="error",
            )
        else:
            self._once(
                job.key, "failed", job, f"{job.name} stopped", detail or "stopped", "warning"
            )

    @staticmethod
    def _where(job: Job) -> str:
        nodes = f"on {job.node_count} node{'s' if job.node_count != 1 else ''}"
        return f"{job.name} is running {nodes}" + (
            f" ({job.status_detail})" if job.status_detail else ""
        )

    def _once(
        self,
        key: str,
        kind: str,
        job: Job | None,
        title: str,
        message: str,
        severity: Severity = "information",
        *,
        name: str = "",
    ) -> None:
        if (key, kind) in self._said:
            return
        self._said.add((key, kind))
        self._notice(kind, title, message, severity, job, name=name)

    # --- log lines --------------------------------------------------------------------------------

    def _log_lines(self, job: Job, lines: tuple[str, ...]) -> None:
        start = self._position.get(job.key, 0)
        self._position[job.key] = start + len(lines)
        seen = self._lines_seen.get(job.key, 0)
        self._lines_seen[job.key] = max(seen, start + len(lines))
        patterns = self.settings.patterns
        if not patterns or "pattern" not in self.settings.events:
            return
        # The first batch of a job found running is its past: kept in the history quietly
        # (a job seen starting has no past worth hiding).
        backlog = start == 0 and seen == 0 and (job.key, "started") not in self._said
        for index, line in enumerate(lines, start):
            if index < seen:
                continue  # shown again after the job was selected again
            found = next((p for p in patterns if p in line), None)
            if found is not None:
                self._pattern(job, found, line, backlog=backlog)

    def _pattern(self, job: Job, pattern: str, line: str, *, backlog: bool) -> None:
        now = self._clock.monotonic()
        while self._pattern_times and now - self._pattern_times[0] > PATTERN_WINDOW:
            self._pattern_times.popleft()
        loud = not backlog and len(self._pattern_times) < PATTERN_BURST
        if loud:
            self._pattern_times.append(now)
        self._notice(
            "pattern", f"{job.name}: {pattern!r} in the log", line, "warning", job, loud=loud
        )

    # --- delivery ---------------------------------------------------------------------------------

    def _notice(
        self,
        kind: str,
        title: str,
        message: str,
        severity: Severity,
        job: Job | None,
        *,
        name: str = "",
        loud: bool = True,
        toast: bool = True,
    ) -> None:
        if kind not in self.settings.events:
            return
        self.total += 1
        notice = Notice(
            number=self.total,
            kind=kind,
            title=printable(title, 120),
            message=printable(message, MESSAGE_LIMIT),
            severity=severity,
            at=self._clock.now(),
            job=printable(job.name if job is not None else name, 80),
            loud=loud,
            toast=toast,
        )
        self.history.append(notice)
        self._deliver(notice)
