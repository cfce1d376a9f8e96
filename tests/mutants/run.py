"""Apply each deliberate bug of `mutants.toml` to a copy of the tree and check that a test fails.

    python tests/mutants/run.py                 # every mutant
    python tests/mutants/run.py NAME ...        # only these
    python tests/mutants/run.py --list          # names and files

The working tree is never modified: the tree (without .git and .venv) is copied to a temporary
directory once, each mutation is written there, its tests run with that copy first on the path
(checked), and the file is put back (and compared) before the next one. First the named tests
run once unmutated and must all pass with nothing skipped, so a failure means the bug was
noticed. Prints a table and exits 1 if any mutant survives (2 if the baseline is broken).
Standard library only, so any Python >= 3.11 can start it; pytest runs in `.venv`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Path(__file__).with_name("mutants.toml")
TIMEOUT = 900.0
"""Seconds one pytest run may take before it counts as an error."""
_SKIP = (".git", ".venv", "__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", ".pytest_cache")


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: `find` in `file` becomes `replace`; `tests` must then fail."""

    name: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]

    def apply(self, text: str) -> str:
        """`text` with the bug in it (the snippet must occur exactly once)."""
        count = text.count(self.find)
        if count != 1:
            raise ValueError(f"{self.name}: the snippet occurs {count} times in {self.file}")
        return text.replace(self.find, self.replace)


def load(path: Path = REGISTRY) -> list[Mutant]:
    """The mutants listed in `path`, checked for shape."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = []
    for raw in data.get("mutant", []):
        mutant = Mutant(
            name=str(raw["name"]),
            file=str(raw["file"]),
            find=str(raw["find"]),
            replace=str(raw["replace"]),
            tests=tuple(str(t) for t in raw["tests"]),
        )
        if not mutant.tests or mutant.find == mutant.replace:
            raise ValueError(f"{mutant.name}: needs tests and a replacement that differs")
        mutants.append(mutant)
    names = [m.name for m in mutants]
    if len(set(names)) != len(names):
        raise ValueError("mutant names must be unique")
    return mutants


@dataclass(frozen=True)
class Outcome:
    """What one pytest run did."""

    code: int
    tests: int
    failed: int
    skipped: int
    seconds: float
    tail: str


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.pop("CI", None)  # a skip must show up as a skip (the baseline refuses skips)
    return env


def check_imports_from(tree: Path) -> None:
    """Make sure the copy, not the installed tree, is what the tests import."""
    out = subprocess.run(
        [python(), "-c", "import tui, tests; print(tui.__file__); print(tests.__file__)"],
        cwd=tree,
        env=_env(tree),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for found in out:
        if not Path(found).resolve().is_relative_to(tree.resolve()):
            raise SystemExit(f"the tests would import {found}, not the copy under {tree}")


def run_tests(tree: Path, tests: tuple[str, ...], report: Path) -> Outcome:
    """Run `tests` in `tree` (stop at the first failure) and read the JUnit report."""
    report.unlink(missing_ok=True)
    args = [python(), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    args += [f"--junitxml={report}", *tests]
    start = time.monotonic()
    try:
        done = subprocess.run(
            args, cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=TIMEOUT
        )
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout if isinstance(exc.stdout, str) else ""
        code, output = -1, f"timed out after {TIMEOUT:g} s\n{partial}"
    seconds = time.monotonic() - start
    tests_run = failed = skipped = 0
    if report.exists():
        for suite in ET.parse(report).getroot().iter("testsuite"):
            tests_run += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    tail = "\n".join(str(output).strip().splitlines()[-15:])
    return Outcome(code, tests_run, failed, skipped, seconds, tail)


def copy_tree(into: Path) -> Path:
    tree = into / "tree"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(*_SKIP))
    return tree


def run_mutant(tree: Path, mutant: Mutant, report: Path) -> Outcome:
    """Write the bug into the copy, run its tests, put the file back (verified)."""
    path = tree / mutant.file
    original = path.read_bytes()
    try:
        path.write_text(mutant.apply(original.decode("utf-8")), encoding="utf-8")
        return run_tests(tree, mutant.tests, report)
    finally:
        path.write_bytes(original)
        if path.read_bytes() != original:
            raise SystemExit(f"could not restore {path} after {mutant.name}")


def table(rows: list[tuple[str, str, str]]) -> str:
    head = ("mutant", "caught", "seconds")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head]]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)
    mutants = load()
    if args.list:
        for m in mutants:
            print(f"{m.name}  {m.file}")
        return 0
    unknown = set(args.names) - {m.name for m in mutants}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    chosen = [m for m in mutants if not args.names or m.name in args.names]
    with tempfile.TemporaryDirectory(prefix="clusterdeck-mutants-") as scratch:
        tree = copy_tree(Path(scratch))
        check_imports_from(tree)
        report = Path(scratch) / "report.xml"
        if not args.no_baseline:
            every = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
            base = run_tests(tree, every, report)
            print(
                f"baseline: {base.tests} tests, {base.failed} failed, {base.skipped} skipped "
                f"in {base.seconds:.1f} s",
                flush=True,
            )
            if base.code != 0 or base.failed or base.skipped or not base.tests:
                print(base.tail)
                print("the unmutated tree does not pass these tests cleanly; nothing judged")
                return 2
        rows, survivors = [], []
        for mutant in chosen:
            outcome = run_mutant(tree, mutant, report)
            caught = outcome.code == 1 and outcome.failed > 0
            verdict = "yes" if caught else ("no" if outcome.code == 0 else f"error {outcome.code}")
            rows.append((mutant.name, verdict, f"{outcome.seconds:.1f}"))
            print(f"  {mutant.name}: {verdict} ({outcome.seconds:.1f} s)", flush=True)
            if not caught:
                survivors.append(mutant.name)
                print("    " + outcome.tail.replace("\n", "\n    "))
    print()
    print(table(rows))
    if survivors:
        print(f"\n{len(survivors)} mutant(s) not caught: {', '.join(survivors)}")
        return 1
    print(f"\nall {len(rows)} mutants caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
