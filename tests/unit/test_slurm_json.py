"""Reading real 22.05 output and the 23.x+ shapes: sinfo's JSON, and squeue's (canned as JSON,
read as the provider polls it, in the text form)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.slurm_text import polled
from tui.core.errors import ProviderUnavailable
from tui.core.models import JobState, NodeState
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import (
    ExitStatus,
    SlurmFormatError,
    decode_exit,
    number,
    parse_sinfo,
)
from tui.core.providers.slurm.squeue_text import TextQuery

DATA = Path(__file__).parent.parent / "data" / "slurm"


def load(name: str) -> str:
    return (DATA / name).read_text()


def test_squeue_22_05_real_output() -> None:
    version, listed = polled(load("squeue-22.05.json"))
    assert version == "22.05.8"
    jobs = {job.name: job for job in listed}
    run = jobs["cfd-wing"]
    assert (run.state, run.job_state) == ("RUNNING", JobState.RUNNING)
    assert run.nodes == ("node01", "node02")
    assert (run.batch_host, run.time_limit, run.node_count) == ("node01", 30, 2)
    assert run.started == datetime.fromtimestamp(1795560523, UTC)
    assert jobs["later"].job_state is JobState.QUEUED and jobs["later"].reason == "BeginTime"
    assert jobs["later"].nodes == () and jobs["later"].time_limit is None
    assert jobs["bad"].exit == ExitStatus(code=3)
    assert jobs["bad"].stdout.endswith("/%x-%j.out")
    assert jobs["killed"].exit == ExitStatus(signal=9)
    assert jobs["fine"].job_state is JobState.COMPLETED and jobs["fine"].exit == ExitStatus(code=0)
    assert jobs["tocancel"].job_state is JobState.STOPPED
    tasks = sorted((j.array_job_id, j.array_task_id) for j in listed if j.name == "sweep")
    assert tasks == [(6, 1), (6, 2)]


def test_squeue_23_11_shapes() -> None:
    version, listed = polled(load("squeue-23.11.json"))
    assert version == "23.11.4"
    jobs = {job.job_id: job for job in listed}
    run = jobs["101"]
    assert run.job_state is JobState.RUNNING
    assert run.nodes == ("cn001", "cn002", "cn010")
    assert run.time_limit == 60 and run.node_count == 3
    assert run.started == datetime.fromtimestamp(1795554469, UTC)
    pending = jobs["102"]
    assert pending.job_state is JobState.QUEUED and pending.time_limit is None
    assert pending.started is None
    assert jobs["103"].exit == ExitStatus(code=3)
    assert jobs["104"].exit.describe() == "killed by SIGKILL (9)"
    assert jobs["105"].job_state is JobState.STOPPED
    task = jobs["107"]
    assert (task.state, task.state_flags) == ("RUNNING", ())  # the text form: the base state
    assert (task.array_job_id, task.array_task_id) == (106, 1)
    assert output_path(task) == "/home/alice/run/sweep-106_1.out"  # `%A_%a` expanded
    assert jobs["108"].user == "bob"


def test_sinfo_22_05_real_output() -> None:
    nodes = {n.name: n for n in parse_sinfo(load("sinfo-22.05.json")).nodes}
    assert sorted(nodes) == ["node01", "node02", "node03", "node04"]
    assert nodes["node01"].address == "127.0.0.1"
    assert nodes["node01"].cpus == 2 and nodes["node01"].node_state is NodeState.RUNNING
    assert nodes["node04"].flags == ("DRAIN",) and nodes["node04"].node_state is NodeState.DOWN
    assert nodes["node04"].reason == "bad disk"


def test_sinfo_23_02_node_list_with_state_lists() -> None:
    nodes = {n.name: n for n in parse_sinfo(load("sinfo-23.02.json")).nodes}
    assert nodes["cn001"].state == "mixed" and nodes["cn001"].load == 31.5
    assert nodes["cn002"].node_state is NodeState.DOWN


def test_sinfo_23_11_groups() -> None:
    reply = parse_sinfo(load("sinfo-23.11.json"))
    nodes = {n.name: n for n in reply.nodes}
    assert sorted(nodes) == ["cn001", "cn002", "cn010", "cn020", "cn021"]
    assert nodes["cn001"].address == "10.1.0.1" and nodes["cn001"].load == 31.5
    assert nodes["cn021"].address == "10.1.0.21"
    assert nodes["cn010"].node_state is NodeState.DOWN and nodes["cn010"].reason == "bad dimm"
    assert nodes["cn002"].cpus == 64


def test_sinfo_errors_list() -> None:
    with pytest.raises(ProviderUnavailable, match="Unspecified error"):
        parse_sinfo(load("sinfo-22.05-controller-down.json"))


def test_unknown_version_says_which() -> None:
    with pytest.raises(SlurmFormatError, match=r"`squeue --Format` from Slurm 99\.1\.0 printed"):
        TextQuery.fresh().parse("squeue: a shape of tomorrow\n", "99.1.0")
    with pytest.raises(SlurmFormatError, match="no `nodes` or `sinfo` list"):
        parse_sinfo(load("squeue-unknown-version.json"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, ExitStatus(code=0)),
        (768, ExitStatus(code=3)),
        (256 * 255, ExitStatus(code=255)),
        (9, ExitStatus(signal=9)),
        (15, ExitStatus(signal=15)),
        (None, ExitStatus()),
        ({"set": True, "infinite": False, "number": 512}, ExitStatus(code=2)),
        (
            {"status": ["SIGNALED"], "return_code": {"set": False}, "signal": {"id": 9}},
            ExitStatus(signal=9),
        ),
        ({"status": "NON_ZERO_EXIT", "return_code": 4}, ExitStatus(code=4)),
    ],
)
def test_decode_exit(raw: object, expected: ExitStatus) -> None:
    assert decode_exit(raw) == expected


def test_describe_exit() -> None:
    assert ExitStatus(code=3).describe() == "exit 3"
    assert ExitStatus(signal=15).describe() == "killed by SIGTERM (15)"
    assert ExitStatus(signal=99).describe() == "killed by signal 99 (99)"
    assert ExitStatus(code=0).describe() == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, 5),
        (None, None),
        ({"set": True, "infinite": False, "number": 5}, 5),
        ({"set": False, "infinite": False, "number": 0}, None),
        ({"set": True, "infinite": True, "number": 0}, None),
        ("12", 12),
        (True, None),
    ],
)
def test_number(value: object, expected: int | None) -> None:
    assert number(value) == expected
