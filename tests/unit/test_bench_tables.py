"""The benchmarks' tables render, and every published table has its block in README.md.

The benchmarks themselves live in tests/bench (pytest does not collect them); here their table
code runs on made-up figures (or, for the emulator, on a tiny stream) into a temporary results
directory, so a broken table is found without running a benchmark.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.bench import _table, make_readme

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(autouse=True)
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_table, "RESULTS", tmp_path)
    return tmp_path


def published_names() -> set[str]:
    names = set()
    for script in BENCH.glob("bench_*.py"):
        names.update(re.findall(r'publish\(\s*"(\w+)"', script.read_text()))
    return names


def test_every_published_table_has_a_readme_block() -> None:
    names = published_names()
    assert {"tunnels", "terminal_ssh", "terminal_emulator", "logview", "render_guard"} <= names
    readme = make_readme.README.read_text()
    for name in names:
        assert f"<!-- bench:{name} -->" in readme and f"<!-- /bench:{name} -->" in readme, name


def test_make_readme_replaces_only_its_block() -> None:
    readme = (
        "a\n<!-- bench:x -->\nold\n<!-- /bench:x -->\n"
        "b\n<!-- bench:y -->\nkeep\n<!-- /bench:y -->\n"
    )
    new, missing = make_readme.rewrite(readme, {"x": "| new |\n", "z": "lost"})
    assert new == readme.replace("old", "| new |")
    assert missing == ["z"]


def test_tunnel_table_states_every_ratio_as_speed(results_dir: Path) -> None:
    from tests.bench import bench_tunnels

    tests = {"1 GiB down": None, "1 GiB up": None, "100 x 1 MiB down": None}
    configs = ["clusterdeck", "no-coalesce", "openssh-gcm", "openssh", "direct"]
    factor = {"clusterdeck": 1.0, "no-coalesce": 1.2, "openssh-gcm": 0.8, "openssh": 1.5}
    secs = {
        (t, c): [factor.get(c, 0.2) * s for s in (1.0, 1.1, 0.9)] for t in tests for c in configs
    }
    bench_tunnels.report(tests, configs, secs, 1 << 30, 100, "aes128-gcm", "quiet", 3)  # type: ignore[arg-type]
    text = (results_dir / "tunnels.md").read_text()
    row = next(line for line in text.splitlines() if "1 GiB down" in line and "aes128-gcm)" in line)
    assert "0.80x" in row and "✗ (misses by 20%)" in row  # ours takes 1/0.8 of OpenSSH's time
    lever = next(line for line in text.splitlines() if "without write coalescing" in line)
    assert "1.20x" in lever


def test_terminal_table_has_goals_for_echo_and_cat(results_dir: Path) -> None:
    from tests.bench import bench_terminal_ssh as bench

    rows = bench.throughput_rows(200_000_000, {"ours": [4.0, 5.0], "openssh": [5.0, 5.0]}, "x")
    results = {
        f"{who} {case}": bench.Latency([1.0, 2.0, 9.0] * 10, 0.0)
        for who in ("ours", "openssh", "raw")
        for case in ("idle", "flood")
    }
    _table.publish("terminal_ssh", "Terminal", rows + bench.latency_rows(results))
    text = (results_dir / "terminal_ssh.md").read_text()
    assert "| `cat` 200 MB x, setup excluded | 44.4 MB/s | 40.0 MB/s" in text
    assert "<= 3 ms ✓" in text and "<= 8 ms ✗" in text and "<= 16 ms ✓" in text


def test_emulator_bench_runs_on_a_tiny_stream(
    results_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.bench import bench_terminal_emulator as bench

    argv = ["bench", "--scale", "0.005", "--budget", "0.01", "--repeats", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()
    text = (results_dir / "terminal_emulator.md").read_text()
    assert text.count("libghostty-vt (pyghostty)") in {0, 6}  # 6 rows when it is installed
    assert "SGR 256-colour + truecolor, 16 KiB reads" in text
