"""A job's API files (flat `a/b/c` paths) as folders for the Files screen's table.

Rescale lists a job's files by relative path; the screen shows one folder level at a time,
with the folders derived from the paths. Names are made inert here, before any widget sees them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from tui.core.printable import inert
from tui.core.providers.files import JobFile, JobFiles
from tui.core.transfers.model import human_bytes
from widgets.tables.file import PARENT, FileRow

API_SORTS = ("name", "size")
PREVIEW_BYTES = 256 * 1024
"""As over SFTP: the whole of a small file, the tail of a big one."""


@dataclass(frozen=True)
class ApiEntry:
    """One name in a folder of a job's API files: a file, or a folder (`file` None)."""

    name: str
    file: JobFile | None = None

    @property
    def is_folder(self) -> bool:
        return self.file is None


def parent_of(folder: str) -> str:
    """The folder above `folder` (`""` is the top)."""
    return posixpath.dirname(folder.rstrip("/"))


def entries_in(files: Sequence[JobFile], folder: str) -> list[ApiEntry]:
    """The files directly in `folder` (`""`: the top) and the folders below it."""
    prefix = f"{folder}/" if folder else ""
    folders: set[str] = set()
    found: list[ApiEntry] = []
    for file in files:
        if not file.path.startswith(prefix):
            continue
        head, _, rest = file.path[len(prefix) :].partition("/")
        if rest:
            folders.add(head)
        elif head:
            found.append(ApiEntry(head, file))
    return [ApiEntry(name) for name in sorted(folders)] + found


def api_rows(
    entries: Sequence[ApiEntry],
    *,
    sort: str = "name",
    hidden: bool = False,
    needle: str = "",
    at_top: bool = False,
) -> list[FileRow]:
    """The table's rows: `..` (below the top), folders, then files; sizes where listed."""
    shown = [
        e
        for e in entries
        if (hidden or not e.name.startswith(".")) and needle.lower() in e.name.lower()
    ]
    if sort == "size":
        shown.sort(key=lambda e: (-((e.file and e.file.size) or 0), e.name))
    else:
        shown.sort(key=lambda e: e.name.lower())
    shown.sort(key=lambda e: not e.is_folder)
    rows = [] if at_top else [FileRow(PARENT, "../", "", "", "", tone="ok")]
    for entry in shown:
        file = entry.file
        if file is None:
            rows.append(FileRow(entry.name, inert(entry.name) + "/", "", "", "", tone="ok"))
            continue
        size = "" if file.size is None else human_bytes(file.size)
        kind = "live" if file.live else "stored"
        rows.append(FileRow(entry.name, inert(entry.name), size, "", kind))
    return rows


async def read_preview(files: JobFiles, file: JobFile) -> tuple[int, bytes]:
    """(offset, bytes) to preview: the last `PREVIEW_BYTES` of a listed file (all of a small
    one), the first `PREVIEW_BYTES` of a live one (its size is not listed)."""
    start = max(0, file.size - PREVIEW_BYTES) if file.size is not None else 0
    data = bytearray()
    async with files.read(file, start=start) as (at, chunks):
        async for chunk in chunks:
            data += chunk
            if at + len(data) - start >= PREVIEW_BYTES:
                break
    skip = max(0, start - at)  # a server that ignored the Range sent it from the top
    return start, bytes(data[skip : skip + PREVIEW_BYTES])
