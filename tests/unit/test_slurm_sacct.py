"""`sacct --json`: real 22.05 output, the 23.02/23.11/24.05 shapes, efficiency and its caveats.

sacct-22.05*.json were recorded from the accounting test cluster (slurmdbd + MariaDB);
sacct-23.02/23.11/24.05.json are written to those versions' data_parser shapes (state lists,
`{"set", "infinite", "number"}` numbers, `exit_code.signal.id`, `stdout`, `stdout_expanded`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui.core.errors import ProviderUnavailable
from tui.core.models import JobState
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import ExitStatus, SlurmFormatError
from tui.core.providers.slurm.sacct import (
    Accounting,
    parse_exit_codes,
    parse_sacct,
    with_exit_codes,
)
from tui.core.providers.slurm.usage import clock, size, usage_facts, usage_of
from tui.core.usage import percent, short_usage

DATA = Path(__file__).parent.parent / "data" / "slurm"


def load(name: str) -> str:
    return (DATA / name).read_text()


def test_real_22_05_output() -> None:
    reply = parse_sacct(load("sacct-22.05.json"))
    assert reply.version == "22.05.8"
    jobs = {entry.job.job_id: entry for entry in reply.jobs}
    burn = jobs["1"]
    assert (burn.job.name, burn.job.job_state, burn.job.user) == (
        "burn",
        JobState.COMPLETED,
        "slurmtest",
    )
    assert burn.usage.total_cpu == pytest.approx(1.834807)  # sacct printed TotalCPU 00:01.834
    assert (burn.usage.elapsed, burn.usage.alloc_cpus, burn.usage.req_mem_mb) == (3, 1, 1000)
    assert burn.usage.max_rss == 4993024  # MaxRSS 4876K
    usage = usage_of(burn.usage)
    assert usage.cpu == pytest.approx(1.834807 / 3)
    assert usage.memory == pytest.approx(4993024 / (1000 * 1024 * 1024))
    assert jobs["2"].job.job_state is JobState.FAILED and jobs["2"].exit_suspect  # 22.05 says 0
    assert jobs["4"].job.job_state is JobState.STOPPED
    tasks = sorted(
        (e.job.array_job_id, e.job.array_task_id) for e in reply.jobs if e.job.name == "arr"
    )
    assert tasks == [(3, 1), (3, 2), (3, 3)]
    assert jobs["1"].job.time_limit is None  # no --time on an INFINITE partition: UNLIMITED


def test_22_05_exit_codes_come_from_the_text_output() -> None:
    reply = parse_sacct(load("sacct-22.05.json"))
    fixed = with_exit_codes(reply, parse_exit_codes("1|0:0\n2|3:0\n4|0:15\njunk\n"))
    jobs = {entry.job.job_id: entry for entry in fixed.jobs}
    assert jobs["2"].job.exit == ExitStatus(code=3) and not jobs["2"].exit_suspect
    assert jobs["1"].job.exit == ExitStatus(code=0)


def test_22_05_running_and_signalled() -> None:
    jobs = {e.job.job_id: e for e in parse_sacct(load("sacct-22.05-running.json")).jobs}
    assert jobs["1"].job.job_state is JobState.RUNNING
    assert jobs["5"].job.exit.describe() == "killed by SIGKILL (9)"
    assert jobs["4"].job.time_limit == 2


@pytest.mark.parametrize("version", ["23.02", "23.11", "24.05"])
def test_newer_shapes(version: str) -> None:
    reply = parse_sacct(load(f"sacct-{version}.json"))
    assert reply.version == f"{version}.1"
    jobs = {entry.job.job_id: entry for entry in reply.jobs}
    train = jobs["201"]
    assert train.job.job_state is JobState.COMPLETED and train.job.time_limit == 120
    assert train.job.started == datetime.fromtimestamp(1795550060, UTC)
    assert train.usage.total_cpu == pytest.approx(13000.5)  # the sum of its two steps
    usage = usage_of(train.usage)
    assert percent(usage.cpu) == "90%" and percent(usage.memory) == "51%"
    assert any("largest of 4 tasks" in caveat for caveat in usage.caveats)
    assert jobs["202"].job.time_limit is None  # {"infinite": true}: UNLIMITED
    assert jobs["204"].job.exit == ExitStatus(code=3) and not jobs["204"].exit_suspect
    assert jobs["205"].job.exit.describe() == "killed by SIGKILL (9)"
    task = jobs["207"]
    assert (task.job.array_job_id, task.job.array_task_id, task.job.job_state) == (
        206,
        2,
        JobState.FAILED,
    )
    expected = {
        "23.02": "/home/alice/run/slurm-201.out",  # no `stdout` in 23.02: sbatch's default
        "23.11": "/home/alice/run/train-201.out",
        "24.05": "/home/alice/run/train-201.out",
    }
    assert output_path(train.job) == expected[version]
    if version != "23.02":
        assert output_path(train.job, stderr=True) == "/home/alice/run/train-201.err"
        assert output_path(task.job) == "/home/alice/run/sweep-206_2.out"


def test_whole_node_allocation_is_stated_beside_the_figure() -> None:
    entry = next(e for e in parse_sacct(load("sacct-23.11.json")).jobs if e.job.job_id == "202")
    usage = usage_of(entry.usage)
    assert percent(usage.cpu) == "6%"  # against the 64 CPUs of the whole node, as seff says
    facts = usage_facts(entry.usage, usage)
    assert facts["CPU efficiency"] == "6% (TotalCPU 1:03:20 of 16:40 elapsed x 64 CPUs)"
    assert facts["Caveat 1"] == (
        "whole node(s) allocated: 64 CPUs for the 4 asked for; against those 4: 95%"
    )
    assert any("shared memory" in value for value in facts.values())
    assert short_usage(usage) == "CPU 6% · mem 26% *"


def test_gpu_figures_from_gres_tres() -> None:
    entry = next(e for e in parse_sacct(load("sacct-24.05.json")).jobs if e.job.job_id == "203")
    assert (entry.usage.gpus, entry.usage.gpu_util, entry.usage.gpu_mem) == (2, 85, 20 * 1024**3)
    usage = usage_of(entry.usage)
    facts = usage_facts(entry.usage, usage)
    assert facts["GPU utilisation"] == "85% (mean gres/gpuutil over 2 GPUs)"
    assert facts["GPU memory peak"] == "20.0 GB"
    assert short_usage(usage) == "CPU 83% · mem 16% · GPU 85% *"
    assert entry.job.nodes == ("cn001",) or entry.job.nodes


def test_a_job_too_short_to_be_sampled_says_so() -> None:
    entry = next(e for e in parse_sacct(load("sacct-22.05.json")).jobs if e.job.job_id == "2")
    usage = usage_of(entry.usage)
    assert usage.memory is None
    assert usage.caveats == ("no memory sample: the job ended before the first one",)
    facts = usage_facts(entry.usage, usage)
    assert facts["CPU time"] == "0.00 s (it ran under a second: no efficiency)"


def test_errors_and_bad_output() -> None:
    down = json.dumps(
        {"meta": {}, "errors": [{"error": "Unable to connect to database"}], "jobs": []}
    )
    with pytest.raises(ProviderUnavailable):
        parse_sacct(down)
    with pytest.raises(SlurmFormatError):
        parse_sacct("sacct: error: Problem talking to the database")
    with pytest.raises(SlurmFormatError, match="no `jobs` list"):
        parse_sacct('{"meta": {}}')


def test_text_helpers() -> None:
    assert (clock(65), clock(3725), clock(90061)) == ("1:05", "1:02:05", "1-01:01:01")
    assert (size(512), size(4993024), size(3 * 1024**3)) == ("512 B", "4.8 MB", "3.0 GB")
    assert (percent(None), percent(0.004), percent(0.926)) == ("?", "<1%", "93%")
    assert short_usage(None) == ""


def test_a_job_whose_steps_are_still_open_has_no_figures_yet() -> None:
    arriving = Accounting(
        elapsed=10, total_cpu=0.0, alloc_cpus=1, req_mem_mb=100, steps=1, open_steps=1
    )
    usage = usage_of(arriving)
    assert (usage.cpu, usage.memory) == (None, None)  # not a false 0% while slurmd reports
    assert usage.caveats == ("not yet: the accounting of its steps is still arriving",)
    assert usage_of(arriving, running=True).cpu == 0.0  # sstat's figures so far are figures
