"""The jobs pane: one row per job (or array), its state in colour, its efficiency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from widgets.tables.keyed import KeyedTable


@dataclass(frozen=True)
class JobRow:
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


class JobTable(KeyedTable):
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

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        if self.show_group:
            self.add_column("Provider", key="group")
        self.add_column("Job", key="name")
        self.add_column("State", key="state")
        if self.show_usage:  # before Detail, so a narrow pane still shows it
            self.add_column("Efficiency", key="usage")
        self.add_column("Detail", key="detail")

    def update_jobs(self, rows: Sequence[JobRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same job."""
        cursor = None
        if not self.show_usage and any(row.usage for row in rows):
            cursor = self.cursor_key
            self.show_usage = True
            self.clear(columns=True)
            self._add_columns()
            self.rebuild()
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])
        if cursor is not None:
            self.select_key(cursor)

    def _cells_for(self, row: JobRow) -> tuple[Text, ...]:
        style = self.tone_style(row.tone)
        cells: tuple[Text, ...] = (
            Text(row.name),
            Text(row.state.upper(), style=style),
        )
        if self.show_usage:
            cells = (*cells, Text(row.usage, style="dim"))
        cells = (*cells, Text(row.detail, style=style if row.tone == "error" else "dim"))
        return (Text(row.group, style="bold"), *cells) if self.show_group else cells
