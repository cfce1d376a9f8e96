"""Frozen data the providers hand to the rest of the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class JobState(StrEnum):
    """Where a job is in its life, normalised across providers."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"
    UNKNOWN = "unknown"

    @property
    def is_active(self) -> bool:
        """True while the job may still produce output or nodes."""
        return self in {JobState.QUEUED, JobState.STARTING, JobState.RUNNING, JobState.STOPPING}

    @property
    def is_finished(self) -> bool:
        """True once the job can no longer change."""
        return self in {JobState.COMPLETED, JobState.FAILED, JobState.STOPPED}


class NodeState(StrEnum):
    """State of one node (machine) of a job or cluster."""

    PENDING = "pending"
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SshTarget:
    """Everything needed to open an SSH connection to one node."""

    host: str
    port: int = 22
    user: str | None = None
    key_path: Path | None = None
    jump: SshTarget | None = None
    trust_scope: str | None = None
    """The job (e.g. `Job.key`) an unknown host key may be trusted for, only while it runs."""

    @property
    def pool_key(self) -> tuple[str | None, str, int, tuple[object, ...] | None]:
        """Connections are shared by (user, host, port, jump)."""
        jump = self.jump.pool_key if self.jump is not None else None
        return (self.user, self.host, self.port, jump)

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port != 22 else ""
        return f"{user}{self.host}{port}"


@dataclass(frozen=True)
class Usage:
    """How much of its allocation a job used: fractions (0.5 = 50 %), None where unknown."""

    cpu: float | None = None
    """CPU efficiency: CPU time / (elapsed x allocated CPUs)."""
    memory: float | None = None
    """Peak memory (MaxRSS) / requested memory."""
    gpu: float | None = None
    """Mean GPU utilisation, where the site accounts it."""
    caveats: tuple[str, ...] = ()
    """Why a figure may mislead (whole-node allocation, sampled MaxRSS...)."""


@dataclass(frozen=True)
class Job:
    """One job (or, for inventory providers, one cluster)."""

    id: str
    name: str
    state: JobState
    provider: str = ""
    owner: str = ""
    submitted: datetime | None = None
    started: datetime | None = None
    ended: datetime | None = None
    node_count: int = 0
    status_detail: str = ""
    array_id: str = ""
    """The array job this is a task (or the pending tasks) of; "" when not in an array."""
    array_task: str = ""
    """The task index (`7`), or the pending tasks' range (`3-6%2`)."""
    task_count: int = 1
    """How many array tasks this entry stands for (a pending range stands for many)."""
    usage: Usage | None = None

    @property
    def key(self) -> str:
        """A key unique across providers, used as a table row key."""
        return f"{self.provider}:{self.id}"


@dataclass(frozen=True)
class Node:
    """One machine of a job."""

    job_id: str
    name: str
    role: str
    host: str
    port: int
    state: NodeState
    cores: int | None = None
    load: float | None = None
    user: str | None = None

    @property
    def address(self) -> str:
        """`host:port` as the user would type it."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LogBatch:
    """New lines of a job's log. `offset` is where a resumed stream continues from."""

    job_id: str
    lines: tuple[str, ...]
    offset: int
    finished: bool = False
    notes: tuple[str, ...] = field(default=())
