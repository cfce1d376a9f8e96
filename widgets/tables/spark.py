"""A sparkline in one table cell: the last values as unicode block characters."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 10, high: float = 100.0) -> str:
    """The last `width` of `values` (0 .. `high`) as blocks, padded on the left to `width`."""
    shown = list(values)[-width:]
    if high <= 0:
        high = 1.0
    top = len(BLOCKS) - 1
    bars = "".join(BLOCKS[min(top, max(0, round(v / high * top)))] for v in shown)
    return bars.rjust(width)
