"""Download a job's output files as they appear: poll a remote folder, fetch what is new.

A file is fetched once it has stood still for one poll (same size and modification time twice
in a row), so a file still being written is not copied half-way; it is fetched again whenever
it changes later. A local file with the remote's size and modification time is up to date
(downloads keep the remote's modification time). Each fetch is an ordinary checked transfer.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.models import SshTarget
from tui.core.providers.files import JobFile
from tui.core.ssh.pool import SshPool
from tui.core.transfers.model import Direction, TransferSpec
from tui.core.transfers.paths import check_name, is_part

Stamp = tuple[int, float | None]
"""(size, modification time) of a remote file."""


@dataclass
class FolderWatch:
    """The state of one watched folder: what each remote file looked like at the last poll."""

    pool: SshPool
    target: SshTarget
    remote: str
    local: Path
    seen: dict[str, Stamp] = field(default_factory=dict)
    fetched: dict[str, Stamp] = field(default_factory=dict)
    max_depth: int = 8
    root: str = ""
    """`remote` made absolute (after the first poll)."""

    async def poll(self, *, final: bool = False) -> list[TransferSpec]:
        """The downloads due now: new or changed files that stood still since the last poll
        (`final`: every new or changed file, as nothing writes them any more)."""
        listing = await self._list()
        due: list[TransferSpec] = []
        for rel, stamp in sorted(listing.items()):
            previous = self.seen.get(rel)
            self.seen[rel] = stamp
            if (stamp != previous and not final) or self.fetched.get(rel) == stamp:
                continue  # still changing (or just appeared), or fetched already
            local = self.local.joinpath(*rel.split("/"))
            if _up_to_date(local, stamp):
                self.fetched[rel] = stamp
                continue
            remote = posixpath.join(self.root, rel)
            due.append(TransferSpec(Direction.DOWN, self.target, remote, local, label=rel))
        return due

    def done(self, spec: TransferSpec) -> None:
        """`spec` (from `poll`) was fetched: not again until the file changes."""
        stamp = self.seen.get(spec.label)
        if stamp is not None:
            self.fetched[spec.label] = stamp

    async def _list(self) -> dict[str, Stamp]:
        found: dict[str, Stamp] = {}
        async with self.pool.sftp(self.target) as files:
            self.root = await files.realpath(self.remote)
            todo = [(self.root, "", 0)]
            while todo:
                folder, prefix, depth = todo.pop()
                for entry in await files.listdir(folder):
                    if is_part(entry.name) or entry.stat.is_link:
                        continue
                    rel = f"{prefix}{check_name(entry.name)}"
                    if entry.stat.is_dir and depth < self.max_depth:
                        todo.append((posixpath.join(folder, entry.name), f"{rel}/", depth + 1))
                    elif entry.stat.is_file:
                        found[rel] = (entry.stat.size, entry.stat.mtime)
        return found


def _up_to_date(local: Path, stamp: Stamp) -> bool:
    try:
        st = os.stat(local)
    except OSError:
        return False
    size, mtime = stamp
    return st.st_size == size and (mtime is None or int(st.st_mtime) == int(mtime))


@dataclass
class ApiWatch:
    """Which of a job's API files to fetch on each poll (Rescale lists live files without
    sizes): a live file once it has been listed twice in a row, then every stored output whose
    size or SHA-256 is new, once the job has ended (the stored, checked copy wins)."""

    listed: set[str] = field(default_factory=set)
    fetched: dict[str, tuple[int | None, str | None, bool]] = field(default_factory=dict)

    def due(self, files: list[JobFile]) -> list[JobFile]:
        """The files to fetch now."""
        due = []
        names = {f.path for f in files}
        for file in files:
            stamp = (file.size, file.sha256, file.live)
            if file.live:
                if file.path in self.listed and file.path not in self.fetched:
                    due.append(file)
            elif self.fetched.get(file.path) != stamp:
                due.append(file)
        self.listed = names
        return due

    def done(self, file: JobFile) -> None:
        self.fetched[file.path] = (file.size, file.sha256, file.live)
