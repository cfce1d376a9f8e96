"""Job files a provider serves through its own API (not over SSH): list, read, upload.

A provider that has them returns a `JobFiles` from `Provider.job_files(job)`; the transfer
engine (`tui.core.transfers.api`) downloads them with the same partial files, resume, checks
and progress as SFTP transfers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class JobFile:
    """One file of a job, as the provider lists it."""

    path: str
    """Relative to the job's output (or working) folder, `/`-separated."""
    size: int | None
    """None: not known until it is read (a running job's live file)."""
    sha256: str | None = None
    """The provider's SHA-256 of the file, when it gives one."""
    ref: str = ""
    """The provider's handle for reading it (a file id, a URL path)."""
    live: bool = False
    """Still in the running job's working folder (it may grow)."""


class JobFiles(Protocol):
    """A job's files through the provider's API."""

    label: str
    """Where they come from, for messages (`Rescale job J1`)."""

    async def list(self) -> list[JobFile]:
        """The job's files now: the live folder while it runs, the stored outputs after."""
        ...

    def read(
        self, file: JobFile, *, start: int = 0
    ) -> AbstractAsyncContextManager[tuple[int, AsyncIterator[bytes]]]:
        """The bytes of `file` from `start` (where it starts: `start`, or 0 when the server
        cannot resume), as chunks."""
        ...

    async def upload(self, local: Path) -> str:
        """Store `local` as an input file; returns the provider's id for it."""
        ...
