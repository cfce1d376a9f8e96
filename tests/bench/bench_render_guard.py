"""Cost of the render gate (`tui.app.render_guard`): a 10,000-row table screen, guard on vs off.

Run: `.venv/bin/python tests/bench/bench_render_guard.py [--rows 10000]`. Each pass mounts a
fresh DataTable (200x60, six columns) and pages through every row; a frame is the compositor's
full update rendered to terminal text (`render_segments`, what the driver writes), so each page
is a render-cache miss. Passes alternate off/on; the anchor is Textual's own `Strip.render`.
Also timed: `Strip.render` alone over one screen of strips with their caches cleared.
Writes results/render_guard.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from tests.bench._table import Row, publish  # noqa: E402
from tui.app.render_guard import install_render_guard, remove_render_guard  # noqa: E402

SIZE = (200, 60)


class TableHost(App[None]):
    """One DataTable of job-like rows, headless; every `hostile_every`-th name has an ESC."""

    def __init__(self, rows: int, hostile_every: int) -> None:
        super().__init__()
        self.rows = rows
        self.hostile_every = hostile_every

    def compose(self) -> ComposeResult:
        yield DataTable[str](cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Job", "State", "Detail", "Node", "Address", "Load")
        for i in range(self.rows):
            hostile = self.hostile_every and i % self.hostile_every == 0
            name = f"cfd-wing-{i:05d}" + ("\x1b]0;pwned\x07" if hostile else "")
            table.add_row(
                name, "RUNNING", f"4 nodes · {i % 60}m", f"worker-{i % 8}", "10.0.0.4:22", "31.2"
            )


async def one_pass(guard: bool, rows: int, hostile_every: int) -> tuple[float, float]:
    """Seconds to render every page once, and median seconds of `Strip.render` on one screen."""
    (install_render_guard if guard else remove_render_guard)()
    app = TableHost(rows, hostile_every)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        compositor = app.screen._compositor
        page = SIZE[1] - 2
        frames = 0.0
        for top in range(0, rows, page):
            table.scroll_to(y=top, animate=False, immediate=True)
            await pilot.pause()
            started = time.perf_counter()
            update = compositor.render_update(full=True)
            update.render_segments(app.console)  # type: ignore[union-attr]
            frames += time.perf_counter() - started
        strips = compositor.render_strips()
        times = []
        for _ in range(50):
            for strip in strips:
                strip._render_cache = None
            started = time.perf_counter()
            for strip in strips:
                strip.render(app.console)
            times.append(time.perf_counter() - started)
    return frames, statistics.median(times)


async def measure(rows: int, hostile_every: int, repeats: int) -> dict[str, float]:
    """Medians of `repeats` interleaved passes: frames and strips, guard off and on."""
    results: dict[str, list[float]] = {}
    for _ in range(repeats):
        for guard in ("off", "on"):
            frames, strips = await one_pass(guard == "on", rows, hostile_every)
            results.setdefault(f"frames {guard}", []).append(frames)
            results.setdefault(f"strips {guard}", []).append(strips)
    install_render_guard()
    return {key: statistics.median(values) for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows: list[Row] = []
    for label, hostile_every in (("clean", 0), ("1 row in 100 hostile", 100)):
        r = asyncio.run(measure(args.rows, hostile_every, args.repeats))
        rows.append(
            Row(
                f"{label}: every page, full frames",
                r["frames on"],
                r["frames off"],
                "guard off",
                unit="s",
                higher_is_better=False,
                goal=0.9,
            )
        )
        rows.append(
            Row(
                f"{label}: `Strip.render`, one screen",
                r["strips on"] * 1e6,
                r["strips off"] * 1e6,
                "guard off",
                unit="µs",
                higher_is_better=False,
            )
        )
    note = (
        f"A {args.rows:,}-row, 6-column `DataTable` at {SIZE[0]}x{SIZE[1]}, paged through, each "
        "page a full frame rendered to the text the driver writes; guard on against guard off "
        f"in interleaved passes, median of {args.repeats}. Goal: the guard costs at most 10% "
        "of a frame."
    )
    publish("render_guard", "Render gate", rows, note=note)


if __name__ == "__main__":
    main()
