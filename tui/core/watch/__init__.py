"""The job loop without the screen: poll the provider, follow the selected job, report events."""

from __future__ import annotations

from tui.core.watch.events import (
    Emit,
    Failed,
    JobsEnded,
    JobsUpdated,
    LogFinished,
    LogLines,
    LogNote,
    LogStarted,
    NodesUpdated,
    Pane,
    ProviderProblem,
    ProviderStarted,
    ProviderStartFailed,
    Recovered,
    SelectionChanged,
    ServiceDetected,
    TimeLimitNear,
    TimeWarnings,
    WatchEvent,
)
from tui.core.watch.follow import LogBackoff, LogFollower
from tui.core.watch.watcher import JobTrust, JobWatcher

__all__ = [
    "Emit",
    "Failed",
    "JobTrust",
    "JobWatcher",
    "JobsEnded",
    "JobsUpdated",
    "LogBackoff",
    "LogFinished",
    "LogFollower",
    "LogLines",
    "LogNote",
    "LogStarted",
    "NodesUpdated",
    "Pane",
    "ProviderProblem",
    "ProviderStartFailed",
    "ProviderStarted",
    "Recovered",
    "SelectionChanged",
    "ServiceDetected",
    "TimeLimitNear",
    "TimeWarnings",
    "WatchEvent",
]
