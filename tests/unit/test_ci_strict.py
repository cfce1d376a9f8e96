"""With CI=true no test may skip: tests/ci_strict.py (in every run via tests/conftest.py) turns
every kind of skip into a failure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).absolute().parents[2]
OUTCOMES = {"passed", "failed", "error", "errors", "skipped", "xfailed", "xpassed"}
SAMPLE = """
import pytest

def test_skip():
    pytest.skip("a tool is missing")

@pytest.mark.skipif(True, reason="not on this machine")
def test_skipif():
    pass

def test_importorskip():
    pytest.importorskip("clusterdeck_no_such_module")

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_xfail():
    assert False

def test_pass():
    pass
"""


def outcomes(tmp_path: Path, ci: str | None) -> dict[str, int]:
    """Run SAMPLE with the CI hook as a plugin; how many tests ended in each outcome."""
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(ROOT)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # quicker; the sample needs no plugin
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.ci_strict",
         "-p", "no:randomly", "test_sample.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    summary = run.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    return {k: v for k, v in counts.items() if k in OUTCOMES}


def test_every_kind_of_skip_fails_with_ci_true(tmp_path: Path) -> None:
    # skip and importorskip fail in the call; skipif fails in set-up, which pytest calls an error
    assert outcomes(tmp_path, "true") == {"failed": 2, "error": 1, "passed": 1, "xfailed": 1}


def test_without_ci_the_same_tests_skip(tmp_path: Path) -> None:
    assert outcomes(tmp_path, None) == {"skipped": 3, "passed": 1, "xfailed": 1}
