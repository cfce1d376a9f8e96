"""Scale: 10,000-row tables, start-up with 1,000 jobs, 50 shells and 100 tunnels at once.

Run: `.venv/bin/python tests/bench/bench_scale.py [--reps 3]` (about two minutes). Every part
measures its anchor in the same run and prints one markdown table with ratios and goals:

- tables: NodeTable and JobTable with 10,000 rows, mounted in a headless Textual app: fill, a
  refresh changing 1% of the rows (one cell each), a refresh changing nothing, one row added.
  Anchor: a bare Textual DataTable doing the same (`add_rows`; 100 `update_cell` calls; an
  idle frame; `add_row`). Process CPU seconds of the call and the next frame, median of reps
  (CPU time, so other work on the shared machine weighs less);
- start-up to the first frame listing 1,000 demo jobs (a DemoProvider subclass made here), as
  `bench_startup.py` measures it, median of 3+. Anchor: a bare Textual app with a 1,000-row
  DataTable;
- 50 shells in the app on the demo cluster (real asyncssh servers on loopback), opened one
  after the other as fast as the app takes them (each tab starts its session once laid out),
  until all 50 show their prompt; RSS per shell = process RSS growth / 50 (the demo's servers
  run in the same process, in both). Anchor: 50 asyncssh PTY sessions on the same nodes;
- 100 tunnels through a demo node (TunnelManager over the pool): time until all listen, then
  1 MiB pushed through each at once (100 client threads here, a sink in another process); RSS
  per tunnel. Anchor: 100 asyncssh `forward_local_port` listeners on one connection.
Shells and tunnels run in child processes, so each RSS is a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PROMPT = "demo$"
"""PS1 of the demo shells (their `sh` reads it from the environment); see `_scale_parts`."""

SMOKE = os.environ.get("CLUSTERDECK_SCALE_SMOKE") == "1"
"""A CI-sized run (tests/bench/test_scale_smoke.py): tiny sizes, only to prove every step works."""
ROWS = 300 if SMOKE else 10_000
JOBS = 20 if SMOKE else 1_000
SHELLS = 3 if SMOKE else 50
TUNNELS = 4 if SMOKE else 100
MIB = 1 << 20


# --- tables ----------------------------------------------------------------------------------


async def table_figures(kind: str, reps: int) -> dict[str, tuple[float, float]]:
    """{measure: (ours, anchor)}: median CPU seconds of each step, call and next frame."""
    from textual.app import App, ComposeResult

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            return iter(())

    ours: dict[str, list[float]] = {}
    anchor: dict[str, list[float]] = {}
    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:

        async def cpu(step: Callable[[], object]) -> float:
            await pilot.pause()
            start = time.process_time()
            step()
            await pilot.pause()
            return time.process_time() - start

        for _ in range(reps):
            for name, seconds in (await keyed_table_steps(app, kind, cpu)).items():
                ours.setdefault(name, []).append(seconds)
            for name, seconds in (await data_table_steps(app, kind, cpu)).items():
                anchor.setdefault(name, []).append(seconds)
    median = statistics.median
    return {name: (median(ours[name]), median(anchor[name])) for name in ours}


Timer = Callable[[Callable[[], object]], Awaitable[float]]


async def keyed_table_steps(app: Any, kind: str, cpu: Timer) -> dict[str, float]:
    """Our table: `update_nodes`/`update_jobs` with all rows, 1% changed, the same, one more."""
    from tests.bench._scale_parts import job_rows, node_rows
    from widgets.tables.job import JobTable
    from widgets.tables.node import NodeTable

    table: Any = NodeTable() if kind == "node" else JobTable()
    await app.mount(table)
    update = table.update_nodes if kind == "node" else table.update_jobs
    rows = node_rows if kind == "node" else job_rows
    base, changed, added = rows(ROWS, 0), rows(ROWS, 1), rows(ROWS + 1, 0)
    steps = {
        "fill": await cpu(lambda: update(base)),
        "1% changed": await cpu(lambda: update(changed)),
        "nothing changed": await cpu(lambda: update(changed)),
        "one row added": await cpu(lambda: update(added)),
    }
    await table.remove()
    return steps


async def data_table_steps(app: Any, kind: str, cpu: Timer) -> dict[str, float]:
    """The anchor: a bare DataTable, `add_rows`, 100 `update_cell`, nothing, `add_row`."""
    from textual.widgets import DataTable

    from tests.bench._scale_parts import job_cells, node_cells

    cells = node_cells if kind == "node" else job_cells
    bare: DataTable[Any] = DataTable(cursor_type="row")
    await app.mount(bare)
    plain, fresh, extra = cells(ROWS, 0), cells(ROWS, 1), cells(1, 2)[0]
    bare.add_columns(*(f"c{i}" for i in range(len(plain[0]))))
    keys: list[Any] = []
    column = bare.ordered_columns[-1].key

    def hundred_updates() -> None:
        for index in range(0, ROWS, ROWS // 100):
            bare.update_cell(keys[index], column, fresh[index][-1])

    steps = {
        "fill": await cpu(lambda: keys.extend(bare.add_rows(plain))),
        "1% changed": await cpu(hundred_updates),
        "nothing changed": await cpu(lambda: None),
        "one row added": await cpu(lambda: bare.add_row(*extra)),
    }
    await bare.remove()
    return steps


# --- start-up --------------------------------------------------------------------------------


def child_startup(which: str, state: str) -> None:
    """Print READY once the first frame lists every job (ours) or the 1,000 rows (anchor)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    if which == "anchor":

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield DataTable()

            def on_mount(self) -> None:
                table: DataTable[str] = self.query_one(DataTable)
                table.add_columns("Job", "State", "Detail")
                table.add_rows((f"job-{i}", "COMPLETED", "exit 0") for i in range(JOBS))
                self.call_after_refresh(self.done)

            def done(self) -> None:
                print("READY", flush=True)
                self.exit()

        Bare().run(headless=True, size=(120, 36))
        return
    from tests.bench._scale_parts import big_demo_class
    from tui.app import factory
    from tui.core.config.settings import Settings
    from tui.core.providers.base import Provider, provider_class
    from widgets.tables.job import JobTable

    big = big_demo_class(JOBS)

    def with_big_demo(kind: str) -> type[Provider]:
        return big if kind == "demo" else provider_class(kind)

    factory.provider_class = with_big_demo  # type: ignore[attr-defined]  # the bench's demo
    app = factory.make_app(Settings(state_dir=Path(state)))

    def check() -> None:
        if (
            app.screen is app.main_screen
            and len(app.main_screen.query_one(JobTable).row_keys) >= JOBS
        ):
            if timer is not None:
                timer.stop()
            app.call_after_refresh(done)

    def done() -> None:
        print("READY", flush=True)
        app.exit()

    timer: Any = None

    def start_checking() -> None:
        nonlocal timer
        timer = app.set_interval(0.002, check)

    app.call_later(start_checking)
    app.run(headless=True, size=(120, 36))


def child(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    env = {**os.environ, "PS1": PROMPT + " ", "SHELL": "/bin/sh"}
    return subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def startup_seconds(which: str, state: str) -> float:
    start = time.perf_counter()
    proc = child("startup", which, state)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=60)
    if line.strip() != "READY":
        raise RuntimeError(f"start-up child ({which}) did not get ready")
    return elapsed


# --- shells and tunnels (child processes) -----------------------------------------------------


def json_child(*args: str) -> dict[str, Any]:
    proc = child(*args)
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def endpoint() -> tuple[subprocess.Popen[str], int]:
    proc = child("endpoint")
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def tunnels_run(which: str, dest: int, state: str) -> dict[str, float]:
    """Open the tunnels in a child, push 1 MiB through each from here, read its RSS."""
    from tests.bench._scale_parts import upload

    proc = child(f"tunnels-{which}", str(dest), state, stdin=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    opened = json.loads(proc.stdout.readline())
    start = time.perf_counter()
    threads = [threading.Thread(target=upload, args=(port, MIB)) for port in opened["ports"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pushed = time.perf_counter() - start
    proc.stdin.write("done\n")
    proc.stdin.flush()
    final = json.loads(proc.stdout.readline())
    proc.wait(timeout=60)
    return {"open": opened["open"], "push": pushed, "rss": final["rss"] / TUNNELS}


def run_child(argv: list[str]) -> None:
    from tests.bench import _scale_parts as parts

    mode, *rest = argv
    if mode == "startup":
        child_startup(*rest)
    elif mode == "endpoint":
        parts.serve_endpoint()
    elif mode.startswith("shells-"):
        asyncio.run(parts.shells(mode.removeprefix("shells-"), rest[0], SHELLS))
    elif mode.startswith("tunnels-"):
        asyncio.run(parts.tunnels(mode.removeprefix("tunnels-"), int(rest[0]), rest[1], TUNNELS))


# --- the report -------------------------------------------------------------------------------


Goal = tuple[str, float]
"""`("<=", limit)` in the row's unit, or `("x", ratio)`: at most that many times the anchor."""


def row(measure: str, pair: tuple[float, float], unit: str, goal: Goal) -> str:
    """A line of the table: (ours, anchor) in `unit` ("ms" takes seconds), ratio, goal."""
    ours, anchor = pair

    def show(value: float) -> str:
        if unit == "ms":
            return f"{value * 1000:,.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
        return f"{value:.2f} {unit}"

    kind, limit = goal
    met = ours <= limit * anchor if kind == "x" else ours <= limit
    wanted = f"<= {limit:g}x anchor" if kind == "x" else f"<= {show(limit)}"
    ratio = f"{ours / anchor:.2f}x" if anchor > 0 else "—"
    return (
        f"| {measure} | {show(ours)} | {show(anchor)} | {ratio} | {wanted} {'✓' if met else '✗'} |"
    )


TABLE_GOALS: dict[str, Goal] = {
    "fill": ("x", 2.0),
    "1% changed": ("x", 2.0),
    "nothing changed": ("<=", 0.05),
    "one row added": ("<=", 0.1),
}
"""Per 10,000-row step. A poll repeats "nothing changed" every `poll_interval` (2 s), and the
event loop is busy meanwhile: it should cost a frame or two, not a rebuild."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return
    lines = ["| measure | clusterdeck | anchor | ratio | goal |", "|---|---:|---:|---:|---|"]
    for kind, title in (("node", "NodeTable"), ("job", "JobTable")):
        figures = asyncio.run(table_figures(kind, args.reps))
        for name, pair in figures.items():
            lines.append(row(f"{title} {ROWS:,} rows: {name}", pair, "ms", TABLE_GOALS[name]))
    with tempfile.TemporaryDirectory() as state:
        startup_seconds("ours", state)  # make the demo keys, warm the file cache
        ours_up, anchor_up = [], []
        for _ in range(max(3, args.reps)):
            ours_up.append(startup_seconds("ours", state))
            anchor_up.append(startup_seconds("anchor", state))
        up = statistics.median(ours_up), statistics.median(anchor_up)
        lines.append(row(f"start-up, first frame with {JOBS:,} jobs", up, "s", ("<=", 1.5)))
        ours, bare = json_child("shells-ours", state), json_child("shells-anchor", state)
        lines.append(
            row(
                f"{SHELLS} shells: all prompts",
                (ours["seconds"], bare["seconds"]),
                "s",
                ("<=", 15.0),
            )
        )
        per = (ours["rss"] / SHELLS / MIB, bare["rss"] / SHELLS / MIB)
        lines.append(row("RSS per shell", per, "MB", ("<=", 2.0)))
        server, dest = endpoint()
        try:
            mine, raw = tunnels_run("ours", dest, state), tunnels_run("anchor", dest, state)
        finally:
            server.kill()
        lines.append(
            row(f"{TUNNELS} tunnels: all listening", (mine["open"], raw["open"]), "s", ("<=", 1.0))
        )
        pushed = (mine["push"], raw["push"])
        lines.append(row("1 MiB through each at once", pushed, "s", ("x", 1.5)))
        per = (mine["rss"] / MIB, raw["rss"] / MIB)
        lines.append(row("RSS per tunnel", per, "MB", ("<=", 1.0)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
