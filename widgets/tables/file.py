"""The directory table of the Files screen: name, size, modified, mode; folders first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from widgets.tables.keyed import Cell, KeyedTable

PARENT = ".."
"""The key of the row that goes up one folder."""


@dataclass(frozen=True)
class FileRow:
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


class FileTable(KeyedTable):
    """Entries of one remote folder. Posts `RowHighlighted` and `RowChosen` with the name."""

    def on_mount(self) -> None:
        self.add_column("Name", key="name")
        self.add_column("Size", key="size")
        self.add_column("Modified", key="modified")
        self.add_column("Mode", key="mode")

    def show(self, rows: Sequence[FileRow]) -> None:
        """Show exactly `rows`, in order, keeping the cursor on its entry."""
        self.sync_rows([(row.key, self._row_cells(row)) for row in rows])

    def _row_cells(self, row: FileRow) -> tuple[Cell, ...]:
        name: Cell = Text(row.name, style=self.tone_style(row.tone)) if row.tone else row.name
        return (name, Text(row.size, justify="right"), row.modified, row.mode)
