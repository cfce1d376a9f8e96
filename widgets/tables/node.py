"""The nodes pane: the machines of the highlighted job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from widgets.tables.keyed import KeyedTable

TONES = ("active", "waiting", "error", "muted")


@dataclass(frozen=True)
class NodeRow:
    """What the table shows for one node."""

    key: str
    name: str
    role: str
    address: str
    state: str
    tone: str = "muted"
    """One of `TONES`: picks the colour of the state cell."""
    cores: int | None = None
    load: float | None = None


class NodeTable(KeyedTable):
    """Nodes of a job. Enter posts `OpenShellRequested` for the node under the cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"node-table--{tone}" for tone in TONES}
    """
    | Class | Description |
    | :- | :- |
    | `node-table--active` | A running node. |
    | `node-table--waiting` | A pending or starting node. |
    | `node-table--error` | A node that is down. |
    | `node-table--muted` | A stopped node. |
    """

    DEFAULT_CSS = """
    NodeTable {
        & > .node-table--active { color: $success; }
        & > .node-table--waiting { color: $warning; }
        & > .node-table--error { color: $error; text-style: bold; }
        & > .node-table--muted { color: $text-muted; }
    }
    """

    class NodeHighlighted(Message):
        """The cursor moved to a node."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class OpenShellRequested(Message):
        """Enter was pressed on a node: the user wants a shell there."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def on_mount(self) -> None:
        self.add_column("Node", key="name")
        self.add_column("Role", key="role")
        self.add_column("Address", key="address")
        self.add_column("State", key="state")
        self.add_column("Cores", key="cores")
        self.add_column("Load", key="load")

    def update_nodes(self, rows: Sequence[NodeRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same node."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: NodeRow) -> tuple[Text, ...]:
        tone = row.tone if row.tone in TONES else "muted"
        style = self.get_component_rich_style(f"node-table--{tone}", partial=True)
        cores = "" if row.cores is None else str(row.cores)
        load = "" if row.load is None else f"{row.load:.1f}"
        return (
            Text(row.name),
            Text(row.role, style="dim"),
            Text(row.address),
            Text(row.state, style=style),
            Text(cores, justify="right"),
            Text(load, justify="right"),
        )

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.NodeHighlighted(key))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.OpenShellRequested(key))
