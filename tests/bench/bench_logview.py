"""Benchmark `LogView` against textual's own `Log` and against `grep`, each in its own process.

Run: `.venv/bin/python tests/bench/bench_logview.py [--lines 1000000]`. The parent re-invokes
itself with `--only logview` and `--only anchor`; each child prints one JSON line, so peak RSS
of one widget never pollutes the other. Search is timed against `grep -c -i -F` over the same
lines written to a file (page cache warm, process start included), the tool a user would reach
for, and against a Python loop over `Log.lines`. Writes results/logview.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widget import Widget  # noqa: E402
from textual.widgets import Log  # noqa: E402

from tests.bench._table import Row, publish  # noqa: E402
from widgets.log.view import LogView  # noqa: E402

BATCH = 2000
NEEDLE = "needle-1f3a"


def batches(total: int) -> Iterator[list[str]]:
    """Yield solver-like lines (~86 chars) in batches, generated lazily to keep RSS honest."""
    for start in range(0, total, BATCH):
        batch = [
            f"2026-11-24 12:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d} "
            f"iter {i:06d}  residual {1.0 / (i + 1):.3e}  cfl 0.80  dt 1.0e-04  t={i * 1e-4:.4f}"
            for i in range(start, min(start + BATCH, total))
        ]
        if start == 0:
            batch[3] += f" {NEEDLE}"  # once, near the start: the worst case for a search
        yield batch


def rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Host(App[None]):
    """Mounts one widget, headless."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def run_child(which: str, total: int) -> dict[str, float]:
    """Ingest `total` lines into one widget and measure it."""
    widget: LogView | Log = LogView(max_lines=total) if which == "logview" else Log(max_lines=total)
    app = Host(widget)
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        result["base_rss_mb"] = rss_mb()
        elapsed = 0.0  # line generation is not timed
        for batch in batches(total):
            started = time.perf_counter()
            widget.write_lines(batch)
            await asyncio.sleep(0)  # let the app breathe between batches, as a host would
            elapsed += time.perf_counter() - started
        started = time.perf_counter()
        await pilot.pause()
        await app.workers.wait_for_complete()  # Log measures widths in thread workers
        elapsed += time.perf_counter() - started
        result["lines_per_s"] = total / elapsed
        result["rss_mb"] = rss_mb()
        result["line_count"] = widget.line_count
        times = []
        for _ in range(5):
            started = time.perf_counter()
            if isinstance(widget, LogView):
                hits = widget.find_all(NEEDLE)
            else:  # the naive way: a Python loop over the anchor's list of lines
                hits = [i for i, line in enumerate(widget.lines) if NEEDLE in line.lower()]
            times.append(time.perf_counter() - started)
            assert hits == [3], hits
        result["search_s"] = statistics.median(times)
        if isinstance(widget, LogView):  # backwards from the end: scans every line
            started = time.perf_counter()
            assert widget.search(NEEDLE, backwards=True) == 3
            result["search_view_s"] = time.perf_counter() - started
        await pilot.pause()
    return result


def child(which: str, total: int) -> dict[str, float]:
    """Run one measurement in a fresh process and parse its JSON line."""
    cmd = [sys.executable, __file__, "--lines", str(total), "--only", which]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    data: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return data


def grep_seconds(total: int, repeats: int = 5) -> tuple[float, int]:
    """Median seconds of `grep -c -i -F NEEDLE file` over the same lines, and its count."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as out:
        for batch in batches(total):
            out.write("\n".join(batch) + "\n")
    path = Path(out.name)
    try:
        cmd = ["grep", "-c", "-i", "-F", NEEDLE, str(path)]
        subprocess.run(cmd, check=True, capture_output=True)  # warm the page cache
        times, count = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            count = int(done.stdout)
    finally:
        path.unlink()
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["logview", "anchor"])
    args = parser.parse_args()
    if args.only:
        print(json.dumps(asyncio.run(run_child(args.only, args.lines))))
        return
    ours, anchor = child("logview", args.lines), child("anchor", args.lines)
    grep_s, grep_count = grep_seconds(args.lines)
    assert grep_count == 1, grep_count
    rows = [
        Row(
            "ingest, lines/s", ours["lines_per_s"], anchor["lines_per_s"], "Textual `Log`", goal=1.0
        ),
        Row(
            "peak RSS after ingest",
            ours["rss_mb"],
            anchor["rss_mb"],
            "Textual `Log`",
            unit="MB",
            higher_is_better=False,
            goal_text="<= 150 MB",
            met=ours["rss_mb"] <= 150,
        ),
        Row(
            "search all lines, case-insensitive",
            ours["search_s"],
            grep_s,
            "`grep -c -i -F`",
            unit="s",
            higher_is_better=False,
            goal_text="<= 0.3 s",
            met=ours["search_s"] <= 0.3,
        ),
        Row(
            "search all lines, case-insensitive",
            ours["search_s"],
            anchor["search_s"],
            "Python loop over `Log.lines`",
            unit="s",
            higher_is_better=False,
        ),
    ]
    note = (
        f"{args.lines:,} solver-like lines (~86 characters) in batches of {BATCH}; one match, "
        f"near the start (every line is scanned). Search: median of 5 `find_all` calls against "
        f"`grep` on the same lines in a file (warm page cache, process start included). "
        f"`LogView.search(backwards=True)` from the end: {ours['search_view_s']:.3f} s; "
        f"lines retained {ours['line_count']:,.0f}; base RSS {ours['base_rss_mb']:.0f} MB "
        f"(ours) and {anchor['base_rss_mb']:.0f} MB (Log)."
    )
    publish("logview", "Live log", rows, note=note)


if __name__ == "__main__":
    main()
