"""Start-up time: process start to the first frame showing the demo's jobs, headless.

Run: `.venv/bin/python tests/bench/bench_startup.py [--runs 10]`. The anchor, measured in the same
run, is a bare Textual app with one DataTable of four rows: the cost of Python + Textual itself.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CLUSTERDECK = """
import sys
from pathlib import Path
from tui.app.factory import make_app
from tui.core.config.settings import Settings
from widgets.tables.job import JobTable

app = make_app(Settings(state_dir=Path(sys.argv[1])))

def check() -> None:
    if app.screen is app.main_screen and app.main_screen.query_one(JobTable).row_keys:
        timer.stop()
        app.call_after_refresh(done)

def done() -> None:
    print("READY", flush=True)
    app.exit()

def start_checking() -> None:
    global timer
    timer = app.set_interval(0.002, check)

app.call_later(start_checking)
app.run(headless=True, size=(120, 36))
"""

ANCHOR = """
from textual.app import App
from textual.widgets import DataTable

class Bare(App[None]):
    def compose(self):
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Job", "State")
        for name in ("a", "b", "c", "d"):
            table.add_row(name, "RUNNING")
        self.call_after_refresh(self.done)

    def done(self) -> None:
        print("READY", flush=True)
        self.exit()

Bare().run(headless=True, size=(120, 36))
"""


def time_to_ready(code: str, *args: str) -> float:
    """Seconds from spawning a fresh interpreter to its READY line."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=30)
    if line.strip() != "READY":
        raise RuntimeError(f"child did not get ready (exit {proc.returncode})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        time_to_ready(CLUSTERDECK, state)  # warm the state dir (keys) and the OS file cache
        ours, anchor = [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            ours.append(time_to_ready(CLUSTERDECK, state))
            anchor.append(time_to_ready(ANCHOR))
    ours_med, anchor_med = statistics.median(ours), statistics.median(anchor)
    print(
        f"| start-up to first frame with jobs (median of {args.runs}) | clusterdeck | "
        "bare Textual app (anchor) | ratio | goal |"
    )
    print("|---|---:|---:|---:|---|")
    print(
        f"| seconds | {ours_med:.3f} | {anchor_med:.3f} | {ours_med / anchor_med:.2f}x | <= 1.0 s |"
    )


if __name__ == "__main__":
    main()
