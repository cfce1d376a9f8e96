"""The notification history: one row per notification, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable


class NoticeRow(NamedTuple):
    """What the table shows for one notification (text already inert)."""

    key: str
    time: str
    kind: str
    job: str
    title: str
    message: str
    tone: str = "muted"
    """One of `widgets.tables.keyed.TONES`: picks the colour of the kind cell."""


class NoticeTable(KeyedTable[NoticeRow]):
    """Past notifications; the message column holds the whole (one-line) text."""

    def keyed_columns(self) -> list[Column[NoticeRow]]:
        return [
            Column("time", "Time", lambda row: Text(row.time, style="dim")),
            Column("kind", "Kind", lambda row: Text(row.kind, style=self.tone_style(row.tone))),
            Column("job", "Job", lambda row: Text(row.job)),
            Column("title", "Title", lambda row: Text(row.title)),
            Column("message", "Message", lambda row: Text(row.message)),
        ]

    def update_notices(self, rows: Sequence[NoticeRow]) -> None:
        """Show `rows` in order."""
        self.sync_rows(rows)
