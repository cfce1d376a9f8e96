"""The nodes pane: the machines of the highlighted job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from widgets.tables.keyed import KeyedTable
from widgets.tables.spark import sparkline

TREND_WIDTH = 8
"""Samples shown by the CPU sparkline of a row."""


@dataclass(frozen=True)
class NodeRow:
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


class NodeTable(KeyedTable):
    """Nodes of a job. Posts `RowHighlighted`, and `RowChosen` on enter (open a shell there)."""

    DEFAULT_CSS = """
    NodeTable > .keyed-table--active { text-style: none; }
    """

    def on_mount(self) -> None:
        self.add_column("Node", key="name")
        self.add_column("Role", key="role")
        self.add_column("State", key="state")
        self.add_column("CPU", key="cpu")
        self.add_column("Mem", key="memory")
        self.add_column("GPU", key="gpu")
        self.add_column("Load", key="load")
        self.add_column("Cores", key="cores")
        self.add_column("Address", key="address")

    def update_nodes(self, rows: Sequence[NodeRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same node."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: NodeRow) -> tuple[Text, ...]:
        cores = "" if row.cores is None else str(row.cores)
        load = "" if row.load is None else f"{row.load:.1f}"
        return (
            Text(row.name),
            Text(row.role, style="dim"),
            Text(row.state, style=self.tone_style(row.tone)),
            self._cpu(row),
            Text(row.memory, justify="right"),
            Text(row.gpu),
            Text(load, justify="right"),
            Text(cores, justify="right"),
            Text(row.address),
        )

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
