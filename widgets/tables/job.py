"""The jobs pane: one row per job, its state in colour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from widgets.tables.keyed import KeyedTable

TONES = ("active", "ok", "waiting", "error", "muted")


@dataclass(frozen=True)
class JobRow:
    """What the table shows for one job."""

    key: str
    name: str
    state: str
    tone: str = "muted"
    """One of `TONES`: picks the colour of the state cell."""
    detail: str = ""
    group: str = ""
    """The provider the job comes from (shown when several providers are listed)."""


class JobTable(KeyedTable):
    """Jobs, their state in colour. Posts `JobHighlighted` and `JobSelected`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"job-table--{tone}" for tone in TONES}
    """
    | Class | Description |
    | :- | :- |
    | `job-table--active` | A running job's state. |
    | `job-table--ok` | A job that completed. |
    | `job-table--waiting` | A queued or starting job. |
    | `job-table--error` | A failed job. |
    | `job-table--muted` | Stopped or unknown. |
    """

    DEFAULT_CSS = """
    JobTable {
        & > .job-table--active { color: $success; text-style: bold; }
        & > .job-table--ok { color: $primary; }
        & > .job-table--waiting { color: $warning; }
        & > .job-table--error { color: $error; text-style: bold; }
        & > .job-table--muted { color: $text-muted; }
    }
    """

    class JobHighlighted(Message):
        """The cursor moved to a job."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class JobSelected(Message):
        """Enter was pressed on a job."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

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

    def on_mount(self) -> None:
        if self.show_group:
            self.add_column("Provider", key="group")
        self.add_column("Job", key="name")
        self.add_column("State", key="state")
        self.add_column("Detail", key="detail")

    def update_jobs(self, rows: Sequence[JobRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same job."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: JobRow) -> tuple[Text, ...]:
        tone = row.tone if row.tone in TONES else "muted"
        style = self.get_component_rich_style(f"job-table--{tone}", partial=True)
        cells = (
            Text(row.name),
            Text(row.state.upper(), style=style),
            Text(row.detail, style=style if tone == "error" else "dim"),
        )
        return (Text(row.group, style="bold"), *cells) if self.show_group else cells

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.JobHighlighted(key))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.JobSelected(key))
