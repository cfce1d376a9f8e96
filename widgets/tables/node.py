"""The nodes pane: the machines of the highlighted job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable


class NodeRow(NamedTuple):
    """What the table shows for one node."""

    key: str
    name: str
    role: str
    address: str
    state: str
    tone: str = "muted"
    """One of `widgets.tables.keyed.TONES`: picks the colour of the state cell."""
    cores: int | None = None
    load: float | None = None


def _number(value: float | None, shape: str = "") -> Text:
    return Text("" if value is None else format(value, shape), justify="right")


class NodeTable(KeyedTable[NodeRow]):
    """Nodes of a job. Posts `RowHighlighted`, and `RowChosen` on enter (open a shell there)."""

    DEFAULT_CSS = """
    NodeTable > .keyed-table--active { text-style: none; }
    """

    def keyed_columns(self) -> list[Column[NodeRow]]:
        return [
            Column("name", "Node", lambda row: Text(row.name)),
            Column("role", "Role", lambda row: Text(row.role, style="dim")),
            Column("address", "Address", lambda row: Text(row.address)),
            Column("state", "State", lambda row: Text(row.state, self.tone_style(row.tone))),
            Column("cores", "Cores", lambda row: _number(row.cores)),
            Column("load", "Load", lambda row: _number(row.load, ".1f")),
        ]

    def update_nodes(self, rows: Sequence[NodeRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same node."""
        self.sync_rows(rows)
