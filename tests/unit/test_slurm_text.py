"""squeue's text form (`--Format` with per-poll token separators): hostile names, odd values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.core.models import JobState
from tui.core.printable import inert
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import ExitStatus, SlurmFormatError
from tui.core.providers.slurm.squeue_text import (
    FIELDS,
    TextQuery,
    exit_of,
    limit_minutes,
    release_of,
)

RUNNING = {  # a record as squeue 22.05 prints it (SLURM_TIME_FORMAT=%s)
    "JobID": "5",
    "ArrayJobID": "5",
    "ArrayTaskID": "N/A",
    "Name": "run",
    "UserName": "slurmtest",
    "State": "RUNNING",
    "Reason": "None",
    "Partition": "debug",
    "NodeList": "node[01-02]",
    "NumNodes": "2",
    "BatchHost": "node01",
    "SubmitTime": "1796703198",
    "StartTime": "1796703199",
    "EndTime": "NONE",
    "TimeLimit": "1:30:00",
    "exit_code": "0",
    "WorkDir": "/tmp",
    "STDOUT": "/tmp/slurm-5.out",
    "STDERR": "/tmp/slurm-5.out",
    "NumCPUs": "2",
    "tres-alloc": "cpu=2,mem=2000M,node=2,billing=2",
}
HOSTILE = [
    "a\x1fb",  # the unit separator, alone
    "x\x1ey\nz",  # a record separator and a newline (Slurm keeps both in names)
    "evil|na;me %x $(x) \x1b]0;x\x07\x1b[2J",  # escape sequences
    "\x1f0123456789abcdef\x1f",  # a separator with another poll's token
]


def printed(query: TextQuery, *records: dict[str, str]) -> str:
    return "".join(
        query.field_sep.join(r[f] for f in FIELDS) + query.record_end + "\n" for r in records
    )


def test_a_record_and_the_command() -> None:
    query = TextQuery.fresh()
    [job] = query.parse(printed(query, RUNNING))
    assert (job.job_id, job.name, job.state, job.nodes) == (
        "5",
        "run",
        "RUNNING",
        ("node01", "node02"),
    )
    assert job.started == datetime.fromtimestamp(1796703199, UTC) and job.ended is None
    assert (job.time_limit, job.cpus, job.req_mem_mb, job.node_count) == (90, 2, 2000.0, 2)
    assert job.array_job_id is None and job.stdout == "" and output_path(job) == "/tmp/slurm-5.out"
    command = query.command("squeue", all_users=False)
    assert command.startswith("env SLURM_TIME_FORMAT=%s squeue --me --noheader --states=all ")
    assert "--json" not in command and query.field_sep in command
    assert TextQuery.fresh().field_sep != query.field_sep  # a new token every poll


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_in_their_field(name: str) -> None:
    query = TextQuery.fresh()
    other = {**RUNNING, "JobID": "6", "ArrayJobID": "6", "WorkDir": f"/tmp/{name}"}
    jobs = query.parse(printed(query, {**RUNNING, "Name": name}, other))
    assert [(j.job_id, j.name) for j in jobs] == [("5", name), ("6", "run")]
    assert jobs[1].workdir == f"/tmp/{name}"
    assert "\x1b" not in inert(name) and "\n" not in inert(name)  # shown inert, as before


def test_a_name_forging_a_record_forges_nothing() -> None:
    query = TextQuery.fresh()
    guess = TextQuery.fresh()  # the attacker cannot know this poll's token
    forged = printed(guess, {**RUNNING, "JobID": "999", "UserName": "root"})
    jobs = query.parse(printed(query, {**RUNNING, "Name": forged}))
    assert [j.job_id for j in jobs] == ["5"] and jobs[0].name == forged


def test_a_record_that_does_not_split_is_refused() -> None:
    query = TextQuery.fresh()
    broken = printed(query, {**RUNNING, "Name": f"a{query.field_sep}b"})
    with pytest.raises(SlurmFormatError, match="22 fields, not 21"):
        query.parse(broken, "22.05.8")
    with pytest.raises(SlurmFormatError, match=r"Slurm 22\.05\.8 printed what"):
        query.parse("squeue: error: something\n", "22.05.8")
    assert query.parse("") == ()


@pytest.mark.parametrize(
    "records",
    [
        "squeue: error: unrecognized option\n",
        "[1, 2]\n",
        [{**RUNNING, "JobID": "x"}],  # a record without a job id
    ],
)
def test_not_a_record_or_malformed(records: str | list[dict[str, str]]) -> None:
    query = TextQuery.fresh()
    with pytest.raises(SlurmFormatError):
        query.parse(records if isinstance(records, str) else printed(query, *records))


def test_unknown_fields_and_states_are_tolerated() -> None:
    query = TextQuery.fresh()
    odd = {**RUNNING, "State": "WEIRD", "NodeList": "n[1-", "exit_code": "x"}
    [job] = query.parse(printed(query, odd))
    assert job.job_state is JobState.UNKNOWN and job.nodes == () and job.exit == ExitStatus()


def test_arrays_pending_and_finished() -> None:
    query = TextQuery.fresh()
    parent = {
        **RUNNING,
        "JobID": "2",
        "ArrayJobID": "2",
        "ArrayTaskID": "3-6%2",
        "State": "PENDING",
        "NodeList": "",
        "BatchHost": "n/a",
        "StartTime": "N/A",
        "STDOUT": "/tmp/%x-%A_%a.out",
        "STDERR": "/tmp/%x-%A_%a.out",
        "Name": "arr",
    }
    task = {
        **RUNNING,
        "JobID": "11",
        "ArrayJobID": "9",
        "ArrayTaskID": "1",
        "State": "COMPLETED",
        "EndTime": "1796703272",
        "STDOUT": "/tmp/slurm-11.out",
    }
    failed = {**RUNNING, "JobID": "8", "ArrayJobID": "8", "State": "FAILED", "exit_code": "9"}
    pending, done, killed = query.parse(printed(query, parent, task, failed))
    assert (pending.array_job_id, pending.array_task_id, pending.array_tasks) == (2, None, "3-6%2")
    assert pending.nodes == () and pending.started is None and pending.batch_host == ""
    assert (done.array_job_id, done.array_task_id) == (9, 1)
    assert output_path(done) == "/tmp/slurm-9_1.out"  # squeue's own default is wrong for tasks
    assert killed.exit.describe() == "killed by SIGKILL (9)"


def test_values() -> None:
    assert [limit_minutes(v) for v in ("5:00", "1:30:00", "2-00:00:00", "1-12", "UNLIMITED")] == [
        5,
        90,
        2880,
        2160,
        None,
    ]
    assert [limit_minutes(v) for v in ("30", "INVALID", "")] == [30, None, None]
    assert exit_of("768") == 768 and exit_of("3:0") == {"return_code": 3, "signal": 0}
    assert exit_of("N/A") is None
    assert (
        release_of("slurm-wlm 22.05.8\n") == "22.05.8" and release_of("slurm 23.11.1") == "23.11.1"
    )
    assert release_of("") is None and release_of("squeue: error") is None
