"""One transfer in the transfers list: its name and state, a progress bar, bytes, rate, ETA."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


@dataclass(frozen=True)
class TransferLine:
    """What one row shows (text already made safe by the caller)."""

    key: str
    title: str
    """`↓ results/ (running)`."""
    detail: str
    """`12.3 MB of 50.0 MB · 80.1 MB/s · ETA 0:03`, or the error."""
    total: float | None
    """None: not known yet (the bar pulses)."""
    done: float
    tone: str = "active"
    """`active`, `ok`, `waiting`, `error` or `muted`: the row's CSS class `-<tone>`."""


class TransferItem(Horizontal, can_focus=True):
    """A focusable row of the transfers list."""

    DEFAULT_CSS = """
    TransferItem {
        height: 1;
        & > .transfer-title { width: 32; text-wrap: nowrap; text-overflow: ellipsis; }
        & > ProgressBar { width: auto; margin-right: 1; }
        & > .transfer-detail {
            width: 1fr; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
        }
        &:focus { background: $accent 30%; }
        &.-error > .transfer-title, &.-error > .transfer-detail { color: $error; }
        &.-ok > .transfer-title { color: $primary; }
        &.-muted > .transfer-title { color: $text-muted; }
        &.-waiting > .transfer-title { color: $warning; }
    }
    """

    def __init__(self, line: TransferLine) -> None:
        super().__init__(id=f"transfer-{line.key}")
        self.key = line.key
        self._line = line

    def compose(self) -> ComposeResult:
        yield Label(self._line.title, classes="transfer-title", markup=False)
        yield ProgressBar(total=self._line.total, show_eta=False, show_percentage=True)
        yield Label(self._line.detail, classes="transfer-detail", markup=False)

    def on_mount(self) -> None:
        self.show(self._line)
        # a `show` while mounting (`is_mounted` is still False) only kept its line: show it
        self.call_later(lambda: self.show(self._line))

    def show(self, line: TransferLine) -> None:
        """Update the row to `line`."""
        self._line = line
        if not self.is_mounted:
            return
        title, bar, detail = (
            self.query_one(".transfer-title", Label),
            self.query_one(ProgressBar),
            self.query_one(".transfer-detail", Label),
        )
        title.update(line.title)
        detail.update(line.detail)
        bar.update(total=line.total, progress=line.done)
        for tone in ("active", "ok", "waiting", "error", "muted"):
            self.set_class(tone == line.tone, f"-{tone}")
