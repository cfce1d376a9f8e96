"""The notification history: one row per notification, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from widgets.tables.keyed import KeyedTable


@dataclass(frozen=True)
class NoticeRow:
    """What the table shows for one notification (text already inert)."""

    key: str
    time: str
    kind: str
    job: str
    title: str
    message: str
    tone: str = "muted"
    """One of `widgets.tables.keyed.TONES`: picks the colour of the kind cell."""


class NoticeTable(KeyedTable):
    """Past notifications; the message column holds the whole (one-line) text."""

    def on_mount(self) -> None:
        self.add_column("Time", key="time")
        self.add_column("Kind", key="kind")
        self.add_column("Job", key="job")
        self.add_column("Title", key="title")
        self.add_column("Message", key="message")

    def update_notices(self, rows: Sequence[NoticeRow]) -> None:
        """Show `rows` in order."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: NoticeRow) -> tuple[Text, ...]:
        return (
            Text(row.time, style="dim"),
            Text(row.kind, style=self.tone_style(row.tone)),
            Text(row.job),
            Text(row.title),
            Text(row.message),
        )
