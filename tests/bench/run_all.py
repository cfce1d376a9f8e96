"""Run every benchmark in tests/bench/, then copy their tables into README.md.

    python tests/bench/run_all.py

Each bench writes results/<bench>.md through `_table.publish`; `make_readme.py` runs last.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n### {script.stem}\n", flush=True)
        result = subprocess.run([sys.executable, str(script)], check=False)
        failed += result.returncode != 0
    result = subprocess.run([sys.executable, str(HERE / "make_readme.py")], check=False)
    failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
