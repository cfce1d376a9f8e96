"""What the Files screen shows, as plain data: table rows (sorted, filtered), previews, the
transfers list's lines. Remote names are made inert here, before any widget sees them."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from datetime import datetime

from tui.core.printable import inert
from tui.core.ssh.files import RemoteEntry
from tui.core.transfers import Direction, Transfer, TransferState
from tui.core.transfers.model import human_bytes, human_eta
from widgets.tables.file import PARENT, FileRow
from widgets.transfers.item import TransferLine

SORTS = ("name", "size", "modified")
PREVIEW_BYTES = 256 * 1024
"""A preview shows at most this much: the whole of a small file, the tail of a big one."""


def file_rows(
    entries: Sequence[RemoteEntry],
    *,
    sort: str = "name",
    hidden: bool = False,
    needle: str = "",
    at_root: bool = False,
) -> list[FileRow]:
    """The table's rows: `..` first (unless at `/`), then folders, then files, each sorted."""
    shown = [
        e
        for e in entries
        if (hidden or not e.name.startswith(".")) and needle.lower() in e.name.lower()
    ]
    if sort == "size":
        shown.sort(key=lambda e: (-e.stat.size, e.name))
    elif sort == "modified":
        shown.sort(key=lambda e: (-(e.stat.mtime or 0), e.name))
    else:
        shown.sort(key=lambda e: e.name.lower())
    shown.sort(key=lambda e: not (e.stat.is_dir and not e.stat.is_link))
    rows = [] if at_root else [FileRow(PARENT, "../", "", "", "", tone="ok")]
    for entry in shown:
        info = entry.stat
        folder = info.is_dir and not info.is_link
        name = inert(entry.name) + ("/" if folder else "@" if info.is_link else "")
        rows.append(
            FileRow(
                key=entry.name,
                name=name,
                size="" if folder else human_bytes(info.size),
                modified=_when(info.mtime),
                mode=stat.filemode(info.kind | info.mode),
                tone="ok" if folder else "muted" if info.is_link else "",
            )
        )
    return rows


def _when(mtime: float | None) -> str:
    if mtime is None:
        return ""
    return datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M")


def preview_lines(data: bytes, *, size: int, offset: int) -> list[str]:
    """The lines to show for `data` (the file's bytes from `offset`; `size` in all).

    A binary file (a NUL byte, or mostly undecodable) is described, never dumped. A tail
    starts at its first whole line.
    """
    sample = data[:8192]
    bad = sample.decode("utf-8", "replace").count("\ufffd")
    if b"\0" in sample or (sample and bad > len(sample) // 20):
        return [f"binary file ({human_bytes(size)}): not shown; d downloads it"]
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    head: list[str] = []
    if offset > 0:
        lines = lines[1:]
        head = [f"… the last {human_bytes(len(data))} of {human_bytes(size)} …"]
    if lines and lines[-1] == "":
        lines.pop()
    return head + lines


_TONES = {
    TransferState.QUEUED: "waiting",
    TransferState.RUNNING: "active",
    TransferState.DONE: "ok",
    TransferState.SKIPPED: "muted",
    TransferState.FAILED: "error",
    TransferState.CANCELLED: "muted",
}


def transfer_line(transfer: Transfer) -> TransferLine:
    """The transfers list's row for `transfer`."""
    p = transfer.progress
    arrow = "↓" if transfer.spec.direction is Direction.DOWN else "↑"
    title = f"{arrow} {inert(transfer.label)} ({transfer.state.value})"
    if transfer.state is TransferState.FAILED and transfer.error is not None:
        detail = f"{transfer.error.message} · t: retry"
    elif transfer.state is TransferState.DONE and transfer.outcome is not None:
        checked = {"sha256": "SHA-256 ✓", "size": "size ✓"}.get(
            transfer.outcome.verified, "unchecked"
        )
        detail = (
            f"{checked} · {transfer.outcome.copied} file(s), {human_bytes(max(p.total, p.done))} → "
            f"{inert(transfer.outcome.dest)}"
        )
    else:
        detail = (
            f"{human_bytes(p.done)} of {human_bytes(p.total)} · {human_bytes(p.rate)}/s · "
            f"ETA {human_eta(p.eta)}"
        )
        if transfer.note:
            detail += f" · {inert(transfer.note)}"
    planned = p.files_total > 0 or transfer.state.is_over
    return TransferLine(
        key=str(transfer.id),
        title=title,
        detail=detail,
        total=float(max(p.total, 1)) if planned else None,
        done=float(p.done if p.total else (1 if transfer.state.is_over else 0)),
        tone=_TONES[transfer.state],
    )
