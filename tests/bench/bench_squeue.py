"""What one Slurm poll costs: squeue's text form (what the provider runs) against `--json`.

    .venv/bin/python tests/bench/bench_squeue.py
    CLUSTERDECK_BENCH_QUICK=1 .venv/bin/python tests/bench/bench_squeue.py   # printed only

A real Slurm 22.05 (tests/integration/slurm_cluster.py: slurmctld and 4 slurmd on loopback)
holding JOBS jobs of the test user (a few running, the rest held). Each round runs, as that user,
the provider's own command (`TextQuery.command`) and `squeue --json --me`, alternating; the
figures are medians of the wall time of the command, the bytes it printed, and the time the
provider's parser takes over that answer.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._table import Row, publish, render
from tests.integration.slurm_cluster import SlurmCluster
from tests.unit.slurm_text import read_json
from tui.core.providers.slurm.squeue_text import TextQuery

QUICK = bool(os.environ.get("CLUSTERDECK_BENCH_QUICK"))
JOBS = 50 if QUICK else 200
ROUNDS = 5 if QUICK else 30


def timed(cluster: SlurmCluster, command: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = cluster.as_user("sh", "-c", command).stdout
    return time.perf_counter() - start, out


def measure(cluster: SlurmCluster) -> list[Row]:
    text_s, json_s, text_parse, json_parse = [], [], [], []
    text_out = json_out = ""
    for _ in range(ROUNDS):
        query = TextQuery.fresh()
        took, text_out = timed(cluster, query.command("squeue", all_users=False))
        text_s.append(took)
        start = time.perf_counter()
        listed = query.parse(text_out)
        text_parse.append(time.perf_counter() - start)
        took, json_out = timed(cluster, "squeue --json --me")
        json_s.append(took)
        start = time.perf_counter()
        reply = read_json(json_out)
        json_parse.append(time.perf_counter() - start)
        assert len(listed) == len(reply.jobs) >= JOBS, (len(listed), len(reply.jobs))
    anchor = "squeue --json --me"
    ms = 1000.0
    return [
        Row(
            f"squeue, {JOBS} jobs: wall time",
            statistics.median(text_s) * ms,
            statistics.median(json_s) * ms,
            anchor,
            unit="ms",
            higher_is_better=False,
        ),
        Row(
            f"squeue, {JOBS} jobs: bytes printed",
            float(len(text_out.encode())),
            float(len(json_out.encode())),
            anchor,
            unit="B",
            higher_is_better=False,
        ),
        Row(
            f"parsing that answer, {JOBS} jobs",
            statistics.median(text_parse) * ms,
            statistics.median(json_parse) * ms,
            "reading the --json answer into jobs",
            unit="ms",
            higher_is_better=False,
        ),
    ]


def main() -> None:
    cluster = SlurmCluster(Path(tempfile.mkdtemp(prefix="bench-squeue-")))
    cluster.start()
    try:
        for i in range(JOBS):
            held = [] if i < 4 else ["--hold"]
            cluster.sbatch(f"--job-name=bench-{i}", *held, "--wrap", "sleep 600")
        rows = measure(cluster)
    finally:
        cluster.stop()
    if QUICK:
        print(render(rows), flush=True)
        return
    publish(
        "bench_squeue",
        "One Slurm poll",
        rows,
        note=(
            f"A real Slurm 22.05.8 on this machine (slurmctld and 4 slurmd on loopback) holding "
            f"{JOBS} jobs of the test user (4 running, the rest held). {ROUNDS} rounds, each "
            "running, as that user, the provider's text-form command and `squeue --json --me` "
            "one after the other; medians of the wall time (process start included), the bytes "
            "printed and the parse time. 22.05's `--json` ignores `--me`: here every job is the "
            "user's, so both list the same jobs."
        ),
    )


if __name__ == "__main__":
    main()
