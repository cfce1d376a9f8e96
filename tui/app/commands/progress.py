"""How `get`, `put` and `watch` show a transfer: a rich progress bar on a terminal, plain lines
otherwise (one every `PLAIN_INTERVAL` seconds per transfer, and one when it ends)."""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress

from tui.core.printable import inert
from tui.core.transfers import Transfer, TransferState
from tui.core.transfers.model import human_bytes, human_eta

PLAIN_INTERVAL = 1.0


def summary(transfer: Transfer) -> str:
    """One line saying how a transfer ended."""
    progress, outcome = transfer.progress, transfer.outcome
    name = inert(transfer.label)
    if transfer.state is TransferState.FAILED and transfer.error is not None:
        return f"{name}: failed: {transfer.error.message}"
    if transfer.state is TransferState.CANCELLED:
        return f"{name}: cancelled ({human_bytes(progress.done)} kept; run again to resume)"
    if outcome is None:
        return f"{name}: {transfer.state.value}"
    files = f"{outcome.copied} file{'s' if outcome.copied != 1 else ''}"
    check = {
        "sha256": "size and SHA-256 match",
        "size": "size matches",
    }.get(outcome.verified, "not checked (still being written)")
    resumed = f", {human_bytes(outcome.resumed)} resumed" if outcome.resumed else ""
    skipped = f", {len(outcome.skipped)} skipped" if outcome.skipped else ""
    return (
        f"{name}: {transfer.state.value}: {files}, {human_bytes(progress.total)}{resumed}"
        f"{skipped}, {check} -> {inert(outcome.dest)}"
    )


def line(transfer: Transfer) -> str:
    """A progress line: `name: 42% 12.3 MB of 29.1 MB, 80.2 MB/s, ETA 0:03`."""
    p = transfer.progress
    note = f" ({inert(transfer.note)})" if transfer.note else ""
    return (
        f"{inert(transfer.label)}: {p.fraction * 100:.0f}% {human_bytes(p.done)} of "
        f"{human_bytes(p.total)}, {human_bytes(p.rate)}/s, ETA {human_eta(p.eta)}{note}"
    )


class Reporter:
    """Shows transfers: `update(transfer)` on each event, `close()` at the end."""

    def __init__(self, out: TextIO, err: TextIO, *, rich: bool) -> None:
        self.out = out
        self.err = err
        self._bar: RichProgress | None = None
        self._tasks: dict[int, TaskID] = {}
        self._said: dict[int, float] = {}
        if rich:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=err),
                transient=False,
            )
            self._bar.start()

    def say(self, text: str, *, error: bool = False) -> None:
        stream = self.err if error else self.out
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=stream, flush=True)

    def update(self, transfer: Transfer) -> None:
        if self._bar is not None:
            self._update_bar(transfer)
        elif transfer.state is TransferState.RUNNING and transfer.progress.files_total:
            now = time.monotonic()
            if now - self._said.get(transfer.id, 0.0) >= PLAIN_INTERVAL or transfer.note:
                self._said[transfer.id] = now
                print(line(transfer), file=self.out, flush=True)
        if transfer.state.is_over:
            failed = transfer.state is TransferState.FAILED
            self.say(summary(transfer), error=failed)

    def _update_bar(self, transfer: Transfer) -> None:
        assert self._bar is not None
        task = self._tasks.get(transfer.id)
        name = inert(transfer.label)
        if transfer.note:
            name = f"{name} ({inert(transfer.note)})"
        if task is None:
            task = self._tasks[transfer.id] = self._bar.add_task(name, total=None)
        self._bar.update(
            task,
            description=name,
            total=transfer.progress.total or None,
            completed=transfer.progress.done,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
