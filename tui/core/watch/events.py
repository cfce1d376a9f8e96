"""What a `JobWatcher` reports to its subscribers: one small frozen dataclass per kind of change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tui.core.errors import ClusterdeckError
from tui.core.models import Job, Node
from tui.core.tunnels.detect import DetectedService


class Pane(StrEnum):
    """The part of the dashboard a failure concerns."""

    JOBS = "jobs"
    NODES = "nodes"
    LOG = "log"


@dataclass(frozen=True)
class ProviderStarted:
    """The provider is ready; polling begins."""


@dataclass(frozen=True)
class ProviderStartFailed:
    """The provider could not start; nothing will be polled."""

    error: ClusterdeckError


@dataclass(frozen=True)
class JobsUpdated:
    """A fresh job list, with the failing parts of the provider (a group's members) by name."""

    jobs: tuple[Job, ...]
    now: datetime
    """The clock's time of the listing, for ages ("running 5m")."""
    problems: Mapping[str, ClusterdeckError] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderProblem:
    """A part of the provider started failing (reported once until it works again)."""

    name: str
    error: ClusterdeckError


@dataclass(frozen=True)
class TimeLimitNear:
    """`job` is about to hit its time limit (reported once per job)."""

    job: Job
    warning: str


@dataclass(frozen=True)
class TimeWarnings:
    """Every active job near its time limit: job key -> "6 min left" (sent on every poll)."""

    warnings: Mapping[str, str]


@dataclass(frozen=True)
class JobsEnded:
    """Jobs that were active and no longer are: their job-scoped trust and tunnels are gone."""

    keys: tuple[str, ...]


@dataclass(frozen=True)
class SelectionChanged:
    """Another job is selected; its nodes and log follow."""

    job: Job


@dataclass(frozen=True)
class NodesUpdated:
    """The nodes of the selected job, master first."""

    job: Job
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class LogStarted:
    """Following `job`'s log from its beginning (what was shown before is obsolete)."""

    job: Job
    name: str = ""
    """Which of the job's logs (`Provider.log_names`, e.g. StdErr); "" for its only/first one."""


@dataclass(frozen=True)
class LogLines:
    """New lines of `job`'s log; `offset` is where the stream resumes after them."""

    job: Job
    lines: tuple[str, ...]
    offset: int


@dataclass(frozen=True)
class LogNote:
    """A remark about `job`'s log stream, not a line of it (the file does not exist...)."""

    job: Job
    note: str


@dataclass(frozen=True)
class LogFinished:
    """`job` finished and its whole log was delivered."""

    job: Job


@dataclass(frozen=True)
class ServiceDetected:
    """`job`'s log announced a service one could tunnel to."""

    job: Job
    service: DetectedService


@dataclass(frozen=True)
class Failed:
    """Fetching for `pane` failed (sent on every failure; the watcher keeps trying)."""

    pane: Pane
    error: ClusterdeckError
    first: bool = True
    """The first failure since the pane last worked (notify once per outage, not per poll)."""
    age: float | None = None
    """Seconds since the pane's data was last fresh; None when it never was."""


@dataclass(frozen=True)
class Recovered:
    """`pane` works again after a failure."""

    pane: Pane


WatchEvent = (
    ProviderStarted
    | ProviderStartFailed
    | JobsUpdated
    | ProviderProblem
    | TimeLimitNear
    | TimeWarnings
    | JobsEnded
    | SelectionChanged
    | NodesUpdated
    | LogStarted
    | LogLines
    | LogNote
    | LogFinished
    | ServiceDetected
    | Failed
    | Recovered
)

Emit = Callable[[WatchEvent], None]
