"""Run one transfer: plan it, settle conflicts, copy the files, check them, give them their names.

A file is written under its partial name (`paths.part_name`) and renamed only after its size and,
where the remote has `sha256sum`, its SHA-256 match the source's. A mismatch is an error and
the partial file is removed (a retry starts that file afresh); a cut copy keeps it (a retry
resumes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.errors import ClusterdeckError, SshDisconnected, SshError
from tui.core.ssh.files import RemoteFiles
from tui.core.ssh.handle import Pipeline
from tui.core.ssh.pool import SshPool
from tui.core.transfers import copy
from tui.core.transfers.checksum import remote_sha256, remote_sha256_one
from tui.core.transfers.model import (
    ChecksumMismatch,
    Conflict,
    Direction,
    Progress,
    TransferError,
    TransferSpec,
    Verify,
)
from tui.core.transfers.paths import free_name, remote_part
from tui.core.transfers.plan import FileItem, Plan, plan_download, plan_upload

FILES_AT_ONCE = 16
"""Files copied at the same time (small files are bound by round trips, not bandwidth)."""
BIG_FILE = 16 * 1024 * 1024
"""Files at least this big get their own checksum command right after they are copied."""

ConflictQuestion = Callable[[str], Awaitable[tuple[Conflict, bool]]]
"""Asked about a destination that exists: returns the choice and "the same for all"."""


@dataclass
class Outcome:
    """What a finished run did."""

    copied: int = 0
    skipped: list[str] = field(default_factory=list)
    resumed: int = 0
    verified: str = "sha256"
    """"sha256", or "size" when the remote had no `sha256sum` (or checks were turned off), or
    "none" when not even the size was known (a live file of an API transfer)."""
    dest: str = ""


class TransferRun:
    """One run of `spec` on `pool`; `progress` is updated as bytes go."""

    def __init__(
        self,
        pool: SshPool,
        spec: TransferSpec,
        *,
        progress: Progress,
        conflict: Conflict = Conflict.ASK,
        ask: ConflictQuestion | None = None,
        verify: Verify = Verify.SHA256,
        pipeline: Pipeline | None = None,
        on_advance: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.spec = spec
        self.progress = progress
        self.conflict = conflict
        self._ask = ask
        self.verify = verify
        self.pipeline = pipeline or Pipeline()
        self._on_advance = on_advance or (lambda: None)
        self._asking = asyncio.Lock()
        self._fresh = False
        self.outcome = Outcome()

    def _advance(self, count: int) -> None:
        self.progress.done += count
        self._on_advance()

    async def run(self) -> Outcome:
        """Copy everything; raises the first connection error, or a summary of file errors."""
        down = self.spec.direction is Direction.DOWN
        async with self.pool.sftp(self.spec.target) as files:
            plan = await (plan_download if down else plan_upload)(files, self.spec)
            self.outcome.dest = str(plan.root_local if down else plan.root_remote)
            self.outcome.skipped = [f"{p} (a link or special file)" for p in plan.skipped]
            self.progress.total = plan.total
            self.progress.files_total = len(plan.files)
            self.progress.done = 0
            await self._make_folders(files, plan, down)
            limit = asyncio.Semaphore(FILES_AT_ONCE)
            errors: list[tuple[FileItem, ClusterdeckError]] = []
            batch: list[tuple[FileItem, str | Path]] = []

            async def one(item: FileItem) -> None:
                async with limit:
                    try:
                        done = await self._copy(files, item, down)
                    except (SshDisconnected, asyncio.CancelledError):
                        raise
                    except ClusterdeckError as exc:
                        errors.append((item, exc))
                        return
                    if done is not None:
                        batch.append((item, done))

            await _all(one(item) for item in plan.files)
            errors += await self._check_batch(files, batch, down)
        if errors:
            first_item, first = errors[0]
            if len(plan.files) == 1:
                raise first
            raise TransferError(
                f"{len(errors)} of {len(plan.files)} files failed; the first, "
                f"{first_item.remote if down else first_item.local}: {first.message}",
                first=first,
            )
        return self.outcome

    async def _make_folders(self, files: RemoteFiles, plan: Plan, down: bool) -> None:
        if plan.is_folder:
            root = plan.folders[0]
            if down:
                self._fresh = not os.path.exists(root)  # noqa: ASYNC240 - one stat
            else:
                self._fresh = await files.lstat(str(root)) is None
        folders = list(plan.folders)
        if down and not plan.is_folder:
            folders.append(plan.root_local.parent)
        for folder in folders:
            if down:
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as exc:
                    raise copy.local_error(Path(folder), exc) from exc
            elif self._fresh and folder != folders[0]:
                await files.mkdir(str(folder))  # parents are listed (and made) first
            else:
                await files.mkdir(str(folder), parents=True)

    async def _settle(self, files: RemoteFiles, item: FileItem, down: bool) -> bool:
        """Settle a conflict at `item`'s destination (may rename it); False: skip it."""
        if self._fresh:
            return True  # the destination folder did not exist: nothing to collide with
        if down:
            exists = item.local.exists()
            name = item.local.name
        else:
            exists = await files.lstat(item.remote) is not None
            name = posixpath.basename(item.remote)
        if not exists:
            return True
        choice = self.conflict
        if choice is Conflict.ASK:
            if self._ask is None:
                raise TransferError(f"{item.local if down else item.remote} exists already")
            async with self._asking:
                choice = self.conflict
                if choice is Conflict.ASK:
                    choice, for_all = await self._ask(str(item.local if down else item.remote))
                    if for_all:
                        self.conflict = choice
        if choice is Conflict.SKIP:
            self.outcome.skipped.append(f"{item.local if down else item.remote} (exists)")
            return False
        if choice is Conflict.RENAME:
            if down:
                folder = item.local.parent
                taken: Callable[[str], bool] = lambda other: (folder / other).exists()  # noqa: E731
            else:
                listed = {e.name for e in await files.listdir(posixpath.dirname(item.remote))}
                taken = listed.__contains__
            new = free_name(name, taken)
            if down:
                item.local = item.local.with_name(new)
            else:
                item.remote = posixpath.join(posixpath.dirname(item.remote), new)
        return True

    async def _copy(self, files: RemoteFiles, item: FileItem, down: bool) -> str | Path | None:
        """Copy one file; returns its partial name when its checksum is left to the batch."""
        if not await self._settle(files, item, down):
            self.progress.total -= item.size
            return None
        if down:
            part: str | Path
            part, resumed = await copy.download(files, item, self._advance, self.pipeline)
        else:
            part, resumed = await copy.upload(
                files, item, self._advance, self.pipeline, fresh=self._fresh
            )
        self.outcome.resumed += resumed
        self.progress.resumed_from += resumed
        if self.verify is Verify.SHA256 and item.size >= BIG_FILE:
            remote = self._remote_of(item, down)
            digest = await remote_sha256_one(self.pool, self.spec.target, remote)
            await self._finish(files, item, part, down, digest)
            return None
        return part

    def _remote_of(self, item: FileItem, down: bool) -> str:
        """Where the remote bytes are now: the source, or the uploaded partial file."""
        return item.remote if down else remote_part(item.remote)

    async def _check_batch(
        self, files: RemoteFiles, batch: list[tuple[FileItem, str | Path]], down: bool
    ) -> list[tuple[FileItem, ClusterdeckError]]:
        digests: dict[str, str] | None = {}
        if self.verify is Verify.SHA256 and batch:
            paths = [self._remote_of(item, down) for item, _ in batch]
            digests = await remote_sha256(self.pool, self.spec.target, "/", paths)
        errors: list[tuple[FileItem, ClusterdeckError]] = []
        limit = asyncio.Semaphore(FILES_AT_ONCE)

        async def finish(item: FileItem, part: str | Path) -> None:
            digest = None if digests is None else digests.get(self._remote_of(item, down), "")
            if self.verify is Verify.SIZE:
                digest = None
            async with limit:
                try:
                    await self._finish(files, item, part, down, digest)
                except SshDisconnected:
                    raise
                except ClusterdeckError as exc:
                    errors.append((item, exc))

        await _all(finish(item, part) for item, part in batch)
        return errors

    async def _finish(
        self, files: RemoteFiles, item: FileItem, part: str | Path, down: bool, digest: str | None
    ) -> None:
        """Compare `digest` (the remote's; None: unknown, "" unreadable) and rename `part`."""
        if digest is None:
            self.outcome.verified = "size"
        elif digest != item.digest:
            await self._discard(files, part, down)
            what = item.remote if down else item.local
            raise ChecksumMismatch(
                f"SHA-256 of the copy of {what} differs from the source "
                f"({(item.digest or '')[:16]}... here, {(digest or 'unreadable')[:16]}... "
                "on the remote): it changed while it was copied, or the copy is damaged. "
                "The partial file was removed; retry to copy it again."
            )
        if down:
            local = Path(part)
            try:
                os.chmod(local, item.mode & 0o777)
                if item.mtime is not None:
                    os.utime(local, (item.mtime, item.mtime))
                os.replace(local, item.local)
            except OSError as exc:
                raise copy.local_error(item.local, exc) from exc
        else:
            await files.rename(str(part), item.remote)
        self.outcome.copied += 1
        self.progress.files_done += 1
        self._on_advance()

    async def _discard(self, files: RemoteFiles, part: str | Path, down: bool) -> None:
        with contextlib.suppress(OSError, SshError):
            if down:
                os.unlink(part)
            else:
                await files.remove(str(part))


async def _all(jobs: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run `jobs` together; the first failure cancels the others and is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
