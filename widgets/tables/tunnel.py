"""The tunnels table: one row per port forward, its state in colour, live counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from widgets.tables.keyed import Cell, KeyedTable

STATE_WIDTH = 24
"""Longest state text shown in the table (the screen shows the full reason elsewhere)."""


@dataclass(frozen=True)
class TunnelRow:
    """What the table shows for one tunnel."""

    key: str
    name: str
    node: str
    local: str
    """`127.0.0.1:8888`."""
    remote: str
    """`localhost:8888` as seen from the node, or `SOCKS`."""
    state: str
    tone: str = "muted"
    """One of `widgets.tables.keyed.TONES`: picks the colour of the state cell."""
    open_connections: int = 0
    total_connections: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    age_seconds: float = 0.0
    errors: int = 0


def human_bytes(count: int) -> str:
    """`0 B`, `999 B`, `1.2 kB`, `34 MB`, `1.1 GB` (decimal units, two or three digits)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 999.5 or unit == "TB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_age(seconds: float) -> str:
    """`45s`, `2m05s`, `1h02m`, `3d04h`."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


class TunnelTable(KeyedTable):
    """Tunnels and their live state by tone. Posts `RowHighlighted` and `RowChosen`."""

    def on_mount(self) -> None:
        self.add_column("Name", key="name")
        self.add_column("Node", key="node")
        self.add_column("Local → remote", key="route")
        self.add_column("State", key="state")
        self.add_column("Conns", key="conns")
        self.add_column("↑ / ↓ bytes", key="bytes")
        self.add_column("Age", key="age")

    def update_cell(
        self, row_key: Any, column_key: Any, value: Cell, *, update_width: bool = False
    ) -> None:
        """Cells grow their column as counters and states get longer."""
        super().update_cell(row_key, column_key, value, update_width=True)

    def update_tunnels(self, rows: Sequence[TunnelRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same tunnel."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: TunnelRow) -> tuple[Text, ...]:
        style = self.tone_style(row.tone)
        state = row.state if len(row.state) <= STATE_WIDTH else row.state[: STATE_WIDTH - 1] + "…"
        conns = f"{row.open_connections} / {row.total_connections}"
        if row.errors:
            conns += f" ({row.errors} failed)"
        traffic = f"↑{human_bytes(row.bytes_up)} ↓{human_bytes(row.bytes_down)}"
        return (
            Text(row.name, style="bold"),
            Text(row.node),
            Text(f"{row.local} → {row.remote}"),
            Text(state, style=style),
            Text(conns, style="dim" if not row.open_connections else ""),
            Text(traffic),
            Text(human_age(row.age_seconds), style="dim"),
        )
