"""One table format for every benchmark, and the file the README's benchmark tables come from.

    rows = [Row("1 GiB down, MB/s", 612.0, 598.0, "OpenSSH -L, aes128-gcm", goal=1.0)]
    publish("tunnels", "Tunnels", rows, note="how it was measured ...")

`publish` prints the table and writes `tests/bench/results/<bench>.md`; `make_readme.py` copies
each results file into README.md between `<!-- bench:<bench> -->` and `<!-- /bench:<bench> -->`.
No figure in the README's benchmark tables is typed by hand.

Every ratio is stated one way: how many times clusterdeck is *faster* than the anchor (ours /
anchor for a throughput, anchor / ours for a time), so > 1 is better and the goal is a floor.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclasses.dataclass(frozen=True)
class Row:
    """One measure: our figure, the anchor's, measured the same way in the same run."""

    measure: str
    ours: float
    anchor: float | None
    anchor_name: str
    unit: str = ""
    higher_is_better: bool = True
    goal: float | None = None
    """Floor for `ratio` (x the anchor's speed); None: no goal, shown for information."""
    goal_text: str = ""
    """A goal not stated as a ratio (for example `<= 3 ms`); `met` says whether it holds."""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.anchor is None or self.anchor == 0 or self.ours == 0:
            return None
        return self.ours / self.anchor if self.higher_is_better else self.anchor / self.ours

    def verdict(self) -> str:
        ratio = self.ratio
        ok = self.met
        if ok is None and self.goal is not None and ratio is not None:
            ok = ratio >= self.goal
        goal = self.goal_text or (f">= {self.goal:g}x" if self.goal is not None else "")
        if not goal:
            return ""
        if ok:
            return f"{goal} ✓"
        if self.goal is not None and ratio is not None and not self.goal_text:
            return f"{goal} ✗ (misses by {(1 - ratio / self.goal) * 100:.0f}%)"
        return f"{goal} ✗"


def figure(value: float | None, unit: str = "") -> str:
    """A figure with 3 significant digits (thousands separated) and its unit."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def render(rows: list[Row]) -> str:
    lines = [
        "| measure | clusterdeck | anchor | x anchor's speed (> 1 = faster) | goal |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        ratio = row.ratio
        anchor = f"{figure(row.anchor, row.unit)} ({row.anchor_name})" if row.anchor_name else "—"
        lines.append(
            f"| {row.measure} | {figure(row.ours, row.unit)} | {anchor} | "
            f"{'—' if ratio is None else f'{ratio:.2f}x'} | {row.verdict()} |"
        )
    return "\n".join(lines)


def publish(bench: str, title: str, rows: list[Row], *, note: str = "") -> str:
    """Print the table and write it to results/<bench>.md for make_readme.py."""
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    text = f"**{title}** (`{bench}`, {stamp}, {platform.machine()}, {_cores()} cores)\n\n"
    text += render(rows) + "\n"
    if note:
        text += "\n" + note.strip() + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{bench}.md").write_text(text)
    print(text, flush=True)
    return text


def _cores() -> int:

    return len(os.sched_getaffinity(0))
