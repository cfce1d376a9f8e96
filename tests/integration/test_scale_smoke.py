"""The scale suite (tests/bench/bench_scale.py) at CI size: every step runs and reports a figure.

Speed is judged by the benchmark itself at full size (README > Benchmarks > Scale); this only
proves that each of its measurements still works against today's code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_scale_suite_runs_every_step_at_ci_size(tmp_path: Path) -> None:
    env = {**os.environ, "CLUSTERDECK_SCALE_SMOKE": "1", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "bench_scale.py"), "--reps", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [
        line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    measures = [row.split("|")[1].strip() for row in rows[1:]]
    assert len(measures) == 20, result.stdout
    assert any(m.startswith("NodeTable 300 rows") for m in measures)
    assert any(m.startswith("3 shells") for m in measures) and any(
        "4 tunnels" in m for m in measures
    )
    for row in rows[1:]:
        ours = row.split("|")[2].strip()
        assert ours and ours[0].isdigit(), row  # every step produced a figure
    assert not (ROOT / "tests" / "bench" / "results" / "scale.md").exists() or (
        "300 rows" not in (ROOT / "tests" / "bench" / "results" / "scale.md").read_text()
    )  # a CI-size run leaves the README's full-size figures alone
