"""Transfers through a provider's API (Rescale job files): the same partial files, resume,
checks, conflicts and progress as over SFTP (`runner.py`).

A download takes the job's files under `spec.remote` (a relative folder or file; `.` or empty:
all) into `spec.local`, keeping their relative paths. A resumed file asks for the rest with
`Range`; a server that ignores it sends the whole file again. The copy is checked against the
listed size and the provider's SHA-256 where it gives one (else the size alone: `verified` says
"size"). An upload stores one local file as an input file; `Outcome.dest` is its id.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import posixpath
from collections.abc import Callable
from pathlib import Path

from tui.core.providers.files import JobFile, JobFiles
from tui.core.transfers.checksum import sha256_file
from tui.core.transfers.copy import local_error
from tui.core.transfers.model import (
    ChecksumMismatch,
    Conflict,
    Direction,
    Progress,
    TransferError,
    TransferSpec,
    Verify,
)
from tui.core.transfers.paths import check_name, free_name, local_part
from tui.core.transfers.runner import ConflictQuestion, Outcome


def wanted(files: list[JobFile], remote: str) -> list[JobFile]:
    """The files at or below `remote` (`.`/empty: all)."""
    prefix = posixpath.normpath(remote.strip("/")) if remote.strip("/") else "."
    if prefix == ".":
        return files
    return [f for f in files if f.path == prefix or f.path.startswith(prefix + "/")]


class ApiRun:
    """One run of an API transfer (see the module docstring)."""

    def __init__(
        self,
        files: JobFiles,
        spec: TransferSpec,
        *,
        progress: Progress,
        conflict: Conflict = Conflict.ASK,
        ask: ConflictQuestion | None = None,
        verify: Verify = Verify.SHA256,
        on_advance: Callable[[], None] | None = None,
    ) -> None:
        self.files = files
        self.spec = spec
        self.progress = progress
        self.conflict = conflict
        self._ask = ask
        self.verify = verify
        self._on_advance = on_advance or (lambda: None)
        self.outcome = Outcome(verified="sha256")

    def _advance(self, count: int) -> None:
        self.progress.done += count
        self._on_advance()

    async def run(self) -> Outcome:
        if self.spec.direction is Direction.UP:
            return await self._upload()
        chosen = wanted(await self.files.list(), self.spec.remote)
        if not chosen:
            raise TransferError(f"{self.files.label} has no file at {self.spec.remote!r}")
        self.progress.total = sum(f.size or 0 for f in chosen)
        self.progress.files_total = len(chosen)
        self.progress.done = 0
        self.outcome.dest = str(self.spec.local)
        for file in chosen:
            where = self.spec.local.joinpath(*(check_name(p) for p in file.path.split("/")))
            dest = await self._settle(where)
            if dest is None:
                self.outcome.skipped.append(f"{file.path} (exists)")
                continue
            await self._download(file, dest)
            self.outcome.copied += 1
            self.progress.files_done += 1
            self._on_advance()
        return self.outcome

    async def _settle(self, dest: Path) -> Path | None:
        if not os.path.exists(dest):  # noqa: ASYNC240 - one stat
            return dest
        choice = self.conflict
        if choice is Conflict.ASK:
            if self._ask is None:
                raise TransferError(f"{dest} exists already")
            choice, for_all = await self._ask(str(dest))
            if for_all:
                self.conflict = choice
        if choice is Conflict.SKIP:
            return None
        if choice is Conflict.RENAME:
            return dest.with_name(free_name(dest.name, lambda n: (dest.parent / n).exists()))
        return dest

    async def _download(self, file: JobFile, dest: Path) -> None:
        part = local_part(dest)
        try:
            os.makedirs(dest.parent, exist_ok=True)
            have = os.path.getsize(part) if os.path.exists(part) else 0  # noqa: ASYNC240
        except OSError as exc:
            raise local_error(dest, exc) from exc
        start = have if file.size is None or have <= file.size else 0
        async with self.files.read(file, start=start) as (at, chunks):
            digest = await asyncio.to_thread(sha256_file, part, limit=at) if at else None
            digest = digest or hashlib.sha256()
            self.outcome.resumed += at
            self.progress.resumed_from += at
            self._advance(at)
            try:
                with open(part, "r+b" if at else "wb") as out:  # noqa: ASYNC230 - small writes
                    out.truncate(at)
                    out.seek(at)
                    async for chunk in chunks:
                        out.write(chunk)
                        digest.update(chunk)
                        self._advance(len(chunk))
                    size = out.tell()
            except OSError as exc:
                raise local_error(part, exc) from exc
        if file.size is not None and size != file.size:
            raise ChecksumMismatch(f"{file.path}: got {size:,} bytes, listed {file.size:,}")
        if self.verify is Verify.SHA256 and file.sha256 is not None:
            if digest.hexdigest() != file.sha256:
                os.unlink(part)
                raise ChecksumMismatch(
                    f"SHA-256 of the copy of {file.path} differs from {self.files.label}'s "
                    f"({digest.hexdigest()[:16]}... here, {file.sha256[:16]}... listed); the "
                    "partial file was removed; retry to copy it again."
                )
        elif file.size is None:
            self.outcome.verified = "none"
        elif self.outcome.verified == "sha256":
            self.outcome.verified = "size"
        os.replace(part, dest)

    async def _upload(self) -> Outcome:
        local = self.spec.local
        try:
            size = os.path.getsize(local)  # noqa: ASYNC240 - one stat
        except OSError as exc:
            raise TransferError(f"cannot read {local}: {exc.strerror or exc}") from exc
        self.progress.total, self.progress.files_total = size, 1
        self.outcome.dest = await self.files.upload(local)
        self.outcome.verified = "size"
        self.outcome.copied = 1
        self.progress.files_done = 1
        self._advance(size)
        return self.outcome
