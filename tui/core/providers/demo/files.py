"""A few files in the demo job's directory on its master, for the Files screen to show."""

from __future__ import annotations

import contextlib
from pathlib import Path

from tui.core.errors import StateDirError
from tui.core.files import write_private_file

_FILES = {
    "case.inp": "# demo solver input\nmesh = wing.cgns\nsteps = 2000\ncfl = 0.8\n",
    "results/forces.csv": "step,lift,drag\n"
    + "".join(f"{s},{0.30 + s / 20000:.4f},{0.020 + s / 400000:.5f}\n" for s in range(0, 2000, 50)),
    "results/summary.txt": "converged: no (running)\nresidual: 1.2e-5\n",
    "README.txt": "Files written by the demo job. Press d on one to download it.\n",
}


def seed_job_files(workdir: Path) -> None:
    """Write the demo files into `workdir` where missing (nothing is overwritten)."""
    for name, text in _FILES.items():
        path = workdir / name
        if path.exists():
            continue
        with contextlib.suppress(StateDirError):
            write_private_file(path, text.encode())
