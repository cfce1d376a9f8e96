"""The jobs pane: one row per job, its state in colour."""

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

    def keyed_columns(self) -> list[Column[JobRow]]:
        columns = [
            Column("name", "Job", lambda row: Text(row.name)),
            Column("state", "State", self._state_cell),
            Column("detail", "Detail", self._detail_cell),
        ]
        if self.show_group:
            columns.insert(0, Column("group", "Provider", lambda row: Text(row.group, "bold")))
        return columns

    def update_jobs(self, rows: Sequence[JobRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same job."""
        self.sync_rows(rows)

    def _state_cell(self, row: JobRow) -> Text:
        return Text(row.state.upper(), style=self.tone_style(row.tone))

    def _detail_cell(self, row: JobRow) -> Text:
        return Text(row.detail, style=self.tone_style(row.tone) if row.tone == "error" else "dim")
