"""Job efficiency as text: `93%`, and the jobs table's `CPU 93% · mem 12% *`."""

from __future__ import annotations

from tui.core.models import Usage


def percent(fraction: float | None) -> str:
    """`93%` (`<1%` for small non-zero fractions; `?` when unknown)."""
    if fraction is None:
        return "?"
    if 0 < fraction < 0.01:
        return "<1%"
    return f"{fraction * 100:.0f}%"


def short_usage(usage: Usage | None) -> str:
    """`CPU 93% · mem 12% *` (the `*`: caveats in the job details); `` when nothing is known."""
    if usage is None:
        return ""
    parts = []
    if usage.cpu is not None:
        parts.append(f"CPU {percent(usage.cpu)}")
    if usage.memory is not None:
        parts.append(f"mem {percent(usage.memory)}")
    if usage.gpu is not None:
        parts.append(f"GPU {percent(usage.gpu)}")
    mark = " *" if usage.caveats and parts else ""
    return " · ".join(parts) + mark
