"""The tunnels table: one row per port forward, its state in colour, live counters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable

STATE_WIDTH = 24
"""Longest state text shown in the table (the screen shows the full reason elsewhere)."""


class TunnelRow(NamedTuple):
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


class TunnelTable(KeyedTable[TunnelRow]):
    """Tunnels and their live state by tone. Posts `RowHighlighted` and `RowChosen`."""

    def keyed_columns(self) -> list[Column[TunnelRow]]:
        return [
            Column("name", "Name", lambda row: Text(row.name, style="bold")),
            Column("node", "Node", lambda row: Text(row.node)),
            Column("route", "Local → remote", lambda row: Text(f"{row.local} → {row.remote}")),
            Column("state", "State", self._state_cell),
            Column("conns", "Conns", _conns_cell),
            Column("bytes", "↑ / ↓ bytes", _traffic_cell),
            Column("age", "Age", lambda row: Text(human_age(row.age_seconds), style="dim")),
        ]

    def update_tunnels(self, rows: Sequence[TunnelRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same tunnel."""
        self.sync_rows(rows)

    def _state_cell(self, row: TunnelRow) -> Text:
        state = row.state if len(row.state) <= STATE_WIDTH else row.state[: STATE_WIDTH - 1] + "…"
        return Text(state, style=self.tone_style(row.tone))


def _conns_cell(row: TunnelRow) -> Text:
    conns = f"{row.open_connections} / {row.total_connections}"
    if row.errors:
        conns += f" ({row.errors} failed)"
    return Text(conns, style="dim" if not row.open_connections else "")


def _traffic_cell(row: TunnelRow) -> Text:
    return Text(f"↑{human_bytes(row.bytes_up)} ↓{human_bytes(row.bytes_down)}")
