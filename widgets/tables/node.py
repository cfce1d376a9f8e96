"""The nodes pane: the machines of the highlighted job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable
from widgets.tables.spark import sparkline

TREND_WIDTH = 8
"""Samples shown by the CPU sparkline of a row."""


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
    cpu: float | None = None
    """Percent of the node's CPUs busy (sampled), None when not sampled."""
    cpu_trend: tuple[float, ...] = ()
    """The last CPU percentages, oldest first."""
    memory: str = ""
    """Memory in use, e.g. `3.1/15.6G`."""
    gpu: str = ""
    """GPU utilisation and memory, e.g. `37% 1.0/16G` (several GPUs: their mean, `x4`)."""
    note: str = ""
    """Why a node has no metrics, shown in place of its trend."""


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
            Column("state", "State", lambda row: Text(row.state, self.tone_style(row.tone))),
            Column("address", "Address", lambda row: Text(row.address)),
            Column("cpu", "CPU", self._cpu),
            Column("memory", "Mem", lambda row: Text(row.memory, justify="right")),
            Column("gpu", "GPU", lambda row: Text(row.gpu)),
            Column("load", "Load", lambda row: _number(row.load, ".1f")),
            Column("cores", "Cores", lambda row: _number(row.cores)),
            Column("role", "Role", lambda row: Text(row.role, style="dim")),
        ]

    def update_nodes(self, rows: Sequence[NodeRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same node."""
        self.sync_rows(rows)

    def _cpu(self, row: NodeRow) -> Text:
        """`80% ▃▅▇█▆▅▃▂`: the last figure and a sparkline of the ones before (0 to 100%)."""
        if row.note and not row.cpu_trend:
            return Text(row.note, style="dim")
        if row.cpu is None and not row.cpu_trend:
            return Text("")
        figure = "  …" if row.cpu is None else f"{row.cpu:3.0f}"
        cell = Text(f"{figure}% ")
        cell.append(sparkline(row.cpu_trend, TREND_WIDTH), style=self.tone_style("active"))
        return cell
