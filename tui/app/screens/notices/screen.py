"""The notification history (`H`): every notification of this session, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from tui.core.watch.notices import JobNotifier, Notice
from widgets.footer import KeyFooter
from widgets.tables.notice import NoticeRow, NoticeTable

REFRESH = 1.0
_TONES = {"error": "error", "warning": "waiting", "information": "ok"}


def notice_rows(notices: Sequence[Notice]) -> list[NoticeRow]:
    """The rows for `notices`, newest first (their text is inert already)."""
    return [
        NoticeRow(
            key=str(notice.number),
            time=f"{notice.at.astimezone():%H:%M:%S}",
            kind=notice.kind + ("" if notice.loud else " (quiet)"),
            job=notice.job,
            title=notice.title,
            message=notice.message,
            tone=_TONES.get(notice.severity, "muted"),
        )
        for notice in reversed(notices)
    ]


class NoticeScreen(Screen[None]):
    """A table of past notifications; `escape` or `H` goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,H", "app.pop_screen", "Dashboard", id="notifications-back"),
    ]

    DEFAULT_CSS = """
    NoticeScreen #notices { height: 1fr; border: round $primary; }
    NoticeScreen #notices-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, notifier: JobNotifier, *, channel: str) -> None:
        super().__init__()
        self.notifier = notifier
        self.channel = channel
        self._shown = -1

    def compose(self) -> ComposeResult:
        yield Static("No notifications yet.", id="notices-empty", markup=False)
        yield NoticeTable(id="notices")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(NoticeTable)
        table.border_subtitle = f"desktop: {self.channel} · escape: back"
        self._refresh_rows()
        self.set_interval(REFRESH, self._refresh_rows)

    def _refresh_rows(self) -> None:
        if self.notifier.total == self._shown:
            return
        self._shown = self.notifier.total
        notices = list(self.notifier.history)
        table = self.query_one(NoticeTable)
        table.border_title = f"Notifications ({len(notices)})"
        table.update_notices(notice_rows(notices))
        self.query_one("#notices-empty").display = not notices
