"""What a transfer copies: the files (and folders) below its source, with their final names.

Links are never followed on either side: they are listed as skipped, so a copy cannot leave the
tree it was asked for. Names from the remote are checked before anything local is named after
them (`check_name`).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.ssh.files import RemoteFiles
from tui.core.transfers.model import TransferError, TransferSpec
from tui.core.transfers.paths import check_name, is_part

DIR_CONCURRENCY = 16
"""Remote directories listed at once while planning."""


@dataclass
class FileItem:
    """One file to copy: where it is on each side, how big, its mode and modification time."""

    remote: str
    local: Path
    size: int
    mode: int
    mtime: float | None
    digest: str | None = None
    """Our SHA-256 of what we wrote or read, once copied."""


@dataclass
class Plan:
    """Every file and folder a transfer makes, and what it left out."""

    root_remote: str
    root_local: Path
    files: list[FileItem] = field(default_factory=list)
    folders: list[str | Path] = field(default_factory=list)
    """Destination folders to make (remote paths for uploads, local ones for downloads)."""
    skipped: list[str] = field(default_factory=list)
    is_folder: bool = False

    @property
    def total(self) -> int:
        return sum(item.size for item in self.files)


async def plan_download(files: RemoteFiles, spec: TransferSpec) -> Plan:
    """The remote source of `spec` (a file or a folder) mapped below/onto `spec.local`."""
    source = await files.realpath(spec.remote)
    info = await files.stat(source)
    name = posixpath.basename(source.rstrip("/")) or "root"
    dest = spec.local / check_name(name) if spec.local.is_dir() else spec.local
    plan = Plan(source, dest, is_folder=info.is_dir)
    if not info.is_dir:
        if not info.is_file:
            raise TransferError(f"{source} is not a regular file or folder")
        plan.files.append(FileItem(source, dest, info.size, info.mode, info.mtime))
        return plan
    plan.folders.append(dest)
    limit = asyncio.Semaphore(DIR_CONCURRENCY)

    async def walk(folder: str, local: Path) -> None:
        async with limit:
            entries = await files.listdir(folder)
        below = []
        for entry in entries:
            path = posixpath.join(folder, entry.name)
            if is_part(entry.name):
                continue
            if entry.stat.is_link or not (entry.stat.is_dir or entry.stat.is_file):
                plan.skipped.append(path)
                continue
            target = local / check_name(entry.name)
            if entry.stat.is_dir:
                plan.folders.append(target)
                below.append(walk(path, target))
            else:
                st = entry.stat
                plan.files.append(FileItem(path, target, st.size, st.mode, st.mtime))
        await asyncio.gather(*below)

    await walk(source, dest)
    return plan


async def plan_upload(files: RemoteFiles, spec: TransferSpec) -> Plan:
    """The local source of `spec` mapped below/onto the remote path `spec.remote`."""
    source = spec.local.expanduser().absolute()
    try:
        info = source.lstat()
    except OSError as exc:
        raise TransferError(f"cannot read {source}: {exc.strerror or exc}") from exc
    remote = await files.realpath(spec.remote)
    existing = await files.lstat(remote)
    if existing is not None and existing.is_dir:
        remote = posixpath.join(remote, source.name)
    plan = Plan(remote, source, is_folder=stat.S_ISDIR(info.st_mode))
    if stat.S_ISREG(info.st_mode):
        plan.files.append(
            FileItem(remote, source, info.st_size, stat.S_IMODE(info.st_mode), info.st_mtime)
        )
        return plan
    if not plan.is_folder:
        raise TransferError(f"{source} is not a regular file or folder")
    plan.folders.append(remote)
    await asyncio.to_thread(_walk_local, source, remote, plan)
    return plan


def _walk_local(source: Path, remote: str, plan: Plan) -> None:
    """Fill `plan` from the local tree at `source` (blocking)."""

    def error(exc: OSError) -> None:
        raise TransferError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc

    for folder, dirs, names, dir_fd in os.fwalk(source, onerror=error):
        rel = os.path.relpath(folder, source)
        here = remote if rel == "." else posixpath.join(remote, *Path(rel).parts)
        for name in list(dirs):
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                dirs.remove(name)
                plan.skipped.append(os.path.join(folder, name))
            else:
                plan.folders.append(posixpath.join(here, name))
        for name in names:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            path = Path(folder) / name
            if not stat.S_ISREG(st.st_mode) or is_part(name):
                plan.skipped.append(str(path))
                continue
            item = FileItem(
                posixpath.join(here, name), path, st.st_size, stat.S_IMODE(st.st_mode), st.st_mtime
            )
            plan.files.append(item)
