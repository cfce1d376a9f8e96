"""The jobs pane: one row per job (or array), its state in colour, its efficiency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable


class JobRow(NamedTuple):
    """What the table shows for one job."""

    key: str
    name: str
    state: str
    tone: str = "muted"
    """One of `widgets.tables.keyed.TONES`: picks the colour of the state cell."""
    detail: str = ""
    group: str = ""
    """The provider the job comes from (shown when several providers are listed)."""
    usage: str = ""
    """Efficiency, e.g. `CPU 93% · mem 12%` ("" while unknown)."""


class JobTable(KeyedTable[JobRow]):
    """Jobs, their state in colour by tone. Posts `RowHighlighted` and `RowChosen`."""

    def __init__(
        self,
        *,
        show_group: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.show_group = show_group
        """Show a Provider column (when jobs come from several providers)."""
        self.show_usage = False
        """The Efficiency column is there (added once a row has a figure)."""

    def keyed_columns(self) -> list[Column[JobRow]]:
        columns = [
            Column("name", "Job", lambda row: Text(row.name)),
            Column("state", "State", self._state_cell),
            Column("detail", "Detail", self._detail_cell),
        ]
        if self.show_usage:  # before Detail, so a narrow pane still shows it
            columns.insert(2, Column("usage", "Efficiency", lambda row: Text(row.usage, "dim")))
        if self.show_group:
            columns.insert(0, Column("group", "Provider", lambda row: Text(row.group, "bold")))
        return columns

    def update_jobs(self, rows: Sequence[JobRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same job; the Efficiency column
        comes with the first row that has a figure."""
        cursor = None
        if not self.show_usage and any(row.usage for row in rows):
            cursor, self.show_usage = self.cursor_key, True
            self.clear(columns=True)
            self._add_keyed_columns()
        self.sync_rows(rows)
        if cursor is not None:
            self.select_key(cursor)

    def _state_cell(self, row: JobRow) -> Text:
        return Text(row.state.upper(), style=self.tone_style(row.tone))

    def _detail_cell(self, row: JobRow) -> Text:
        return Text(row.detail, style=self.tone_style(row.tone) if row.tone == "error" else "dim")
