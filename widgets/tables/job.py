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
        if self.show_group:
            self.add_column("Provider", key="group")
        self.add_column("Job", key="name")
        self.add_column("State", key="state")
        self.add_column("Detail", key="detail")

    def update_jobs(self, rows: Sequence[JobRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same job."""
        if not self.show_usage and any(row.usage for row in rows):
            self.show_usage = True
            self.add_column("Efficiency", key="usage")
            self.rebuild()
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: JobRow) -> tuple[Text, ...]:
        style = self.tone_style(row.tone)
        cells: tuple[Text, ...] = (
            Text(row.name),
            Text(row.state.upper(), style=style),
            Text(row.detail, style=style if row.tone == "error" else "dim"),
        )
        if self.show_usage:
            cells = (*cells, Text(row.usage, style="dim"))
        return (Text(row.group, style="bold"), *cells) if self.show_group else cells
