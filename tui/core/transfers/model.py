"""What a transfer is: its direction and ends, its state, its progress (bytes, rate, ETA)."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.errors import ClusterdeckError
from tui.core.models import SshTarget
from tui.core.providers.files import JobFiles


class TransferError(ClusterdeckError):
    """A transfer failed: a checksum or size mismatch, a local disk problem, a conflict.

    `first` is, for a folder with several failed files, the first file's own error.
    """

    title = "Transfer failed"

    def __init__(self, message: str, *, first: ClusterdeckError | None = None) -> None:
        super().__init__(message)
        self.first = first


class ChecksumMismatch(TransferError):
    """The copy's SHA-256 (or size) differs from the source's: never a silent success."""

    title = "Checksum mismatch"


class Direction(enum.StrEnum):
    """Which way the bytes go."""

    DOWN = "download"
    UP = "upload"


class TransferState(enum.StrEnum):
    """Where a transfer is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_over(self) -> bool:
        """True once nothing more happens unless it is retried."""
        return self in {self.DONE, self.SKIPPED, self.FAILED, self.CANCELLED}


class Conflict(enum.StrEnum):
    """What to do when the destination exists already."""

    ASK = "ask"
    SKIP = "skip"
    OVERWRITE = "overwrite"
    RENAME = "rename"
    """Keep both: the new file gets `name (1).ext`."""


class Verify(enum.StrEnum):
    """How a finished copy is checked."""

    SHA256 = "sha256"
    """Size and SHA-256 (the size alone where the remote has no `sha256sum`)."""
    SIZE = "size"


@dataclass(frozen=True)
class TransferSpec:
    """One file or folder to copy: `remote` on `target` and `local` on this machine."""

    direction: Direction
    target: SshTarget
    remote: str
    local: Path
    label: str = ""
    """A short name for lists (default: the source's base name)."""
    api: JobFiles | None = None
    """Through the provider's API instead of SFTP (`target` is then unused; see `api.py`)."""
    conflict: Conflict | None = None
    """What to do about an existing destination (None: the manager's setting)."""

    @property
    def source(self) -> str:
        return self.remote if self.direction is Direction.DOWN else str(self.local)

    @property
    def dest(self) -> str:
        return str(self.local) if self.direction is Direction.DOWN else self.remote


RATE_WINDOW = 3.0
"""Seconds of samples the rate is averaged over."""


@dataclass
class Progress:
    """Bytes done of a total, and the rate over the last `RATE_WINDOW` seconds."""

    total: int = 0
    done: int = 0
    files_total: int = 0
    files_done: int = 0
    resumed_from: int = 0
    """Bytes that were already there from an earlier, cut attempt (not sent again)."""
    _samples: deque[tuple[float, int]] = field(default_factory=deque, repr=False)

    def sample(self, now: float) -> None:
        """Record `done` at `now` (monotonic seconds) for the rate."""
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW:
            self._samples.popleft()

    @property
    def rate(self) -> float:
        """Bytes per second lately (0 before two samples)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None: unknown)."""
        rate = self.rate
        if rate <= 0 or self.total <= 0:
            return None
        return max(0.0, (self.total - self.done) / rate)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(count: float) -> str:
    """`1.5 MB` (decimal units, as `ls -h --si` and the benchmark tables)."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns


def human_eta(seconds: float | None) -> str:
    """`1:05` (m:ss) or `1:02:05`; `--:--` when unknown."""
    if seconds is None:
        return "--:--"
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
