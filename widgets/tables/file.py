"""The directory table of the Files screen: name, size, modified, mode; folders first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable

PARENT = ".."
"""The key of the row that goes up one folder."""


class FileRow(NamedTuple):
    """What the table shows for one directory entry (text already made safe by the caller)."""

    key: str
    """The entry's real name (the row key)."""
    name: str
    """The name as shown (control characters visible), with `/` after a folder."""
    size: str
    modified: str
    mode: str
    tone: str = ""
    """"" for a file; one of `widgets.tables.keyed.TONES` otherwise (folders: `ok`)."""


class FileTable(KeyedTable[FileRow]):
    """Entries of one remote folder. Posts `RowHighlighted` and `RowChosen` with the name."""

    def keyed_columns(self) -> list[Column[FileRow]]:
        return [
            Column("name", "Name", self._name_cell),
            Column("size", "Size", lambda row: Text(row.size, justify="right")),
            Column("modified", "Modified", lambda row: Text(row.modified)),
            Column("mode", "Mode", lambda row: Text(row.mode)),
        ]

    def show(self, rows: Sequence[FileRow]) -> None:
        """Show exactly `rows`, in order, keeping the cursor on its entry."""
        self.sync_rows(rows)

    def _name_cell(self, row: FileRow) -> Text:
        return Text(row.name, style=self.tone_style(row.tone)) if row.tone else Text(row.name)
