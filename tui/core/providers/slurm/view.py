"""How a Slurm job and its nodes look in clusterdeck: `Job`/`Node` values, details, time left."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tui.core.models import Job, JobState, Node, NodeState, Usage
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import SlurmJob, SlurmNode
from tui.core.providers.slurm.usage import clock

FAILED_WORDS = {
    "TIMEOUT": "time limit reached",
    "NODE_FAIL": "node failure",
    "OUT_OF_MEMORY": "out of memory",
    "BOOT_FAIL": "node boot failure",
    "DEADLINE": "deadline reached",
}

_NODE_STATES = {
    JobState.QUEUED: NodeState.PENDING,
    JobState.STARTING: NodeState.STARTING,
    JobState.RUNNING: NodeState.RUNNING,
    JobState.STOPPING: NodeState.RUNNING,
}


def time_left(record: SlurmJob, now: datetime) -> timedelta | None:
    """Time until a running job reaches its limit; None when unlimited or not running."""
    if record.job_state is not JobState.RUNNING:
        return None
    if record.time_limit is None or record.started is None:
        return None
    try:
        end = record.started + timedelta(minutes=record.time_limit)
    except OverflowError:  # past the year 9999: as good as unlimited
        return None
    return max(timedelta(0), end - now)


def format_left(left: timedelta) -> str:
    """`2 h 05 min left`, `7 min left`, `40 s left`."""
    minutes = int(left.total_seconds() // 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min left"
    if minutes >= 1:
        return f"{minutes} min left"
    return f"{max(0, int(left.total_seconds()))} s left"


def describe(record: SlurmJob, now: datetime) -> str:
    """The job's status detail: why it waits, where it runs and for how long, how it ended."""
    state = record.job_state
    reason = record.reason if record.reason not in ("", "None") else ""
    parts: list[str] = []
    if state is JobState.QUEUED:
        parts.append(f"pending: {reason}" if reason else "pending")
    elif state in (JobState.RUNNING, JobState.STARTING, JobState.STOPPING):
        if record.state != "RUNNING":
            parts.append(record.state.lower())
        parts.append(record.hostlist)
        left = time_left(record, now)
        if left is not None:
            parts.append(format_left(left))
        elif state is JobState.RUNNING and record.time_limit is None:
            parts.append("no time limit")
    elif state is JobState.FAILED:
        parts.append(FAILED_WORDS.get(record.state, "failed"))
        parts.append(record.exit.describe())
    elif state is JobState.STOPPED:
        parts.append("cancelled" if record.state == "CANCELLED" else record.state.lower())
    elif state is JobState.COMPLETED:
        parts.append("exit 0")
    else:
        parts.append(f"Slurm state {record.state}")
    if state.is_finished and record.started and record.ended and record.ended >= record.started:
        parts.append(f"ran {clock((record.ended - record.started).total_seconds())}")
    return " · ".join(p for p in parts if p)


_RANGE = re.compile(r"^(\d+)(?:-(\d+)(?::(\d+))?)?$")
MAX_TASKS = 10_000_000
"""Most tasks one range may stand for (Slurm's MaxArraySize is at most 4,000,001)."""


def task_count(spec: str) -> int:
    """How many tasks an array range stands for: `3-6%2` -> 4, `1,5-9:2` -> 4; junk -> 1."""
    total = 0
    for part in spec.split("%")[0].split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            continue
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        step = max(1, int(match.group(3) or 1))
        if last >= first:
            total += (last - first) // step + 1
    return max(1, min(total, MAX_TASKS))


def to_job(record: SlurmJob, provider: str, now: datetime, usage: Usage | None = None) -> Job:
    """The `Job` clusterdeck shows for a `squeue` (or `sacct`) record."""
    state = record.job_state
    pending_range = record.array_task_id is None and bool(record.array_tasks)
    if record.array_task_id is not None:
        task = str(record.array_task_id)
    else:
        task = record.array_tasks
    return Job(
        id=record.job_id,
        name=record.name or record.job_id,
        state=state,
        provider=provider,
        owner=record.user,
        submitted=record.submitted,
        started=record.started if state is not JobState.QUEUED else None,
        ended=record.ended if state.is_finished else None,
        node_count=record.node_count,
        status_detail=describe(record, now),
        array_id=str(record.array_job_id) if record.array_job_id else "",
        array_task=task if record.array_job_id else "",
        task_count=task_count(record.array_tasks) if pending_range else 1,
        usage=usage,
    )


def to_node(
    record: SlurmJob, name: str, info: SlurmNode | None, *, port: int, user: str | None
) -> Node:
    """One node of a job; the address is sinfo's NodeAddr (the name when sinfo lacks it)."""
    state = _NODE_STATES.get(record.job_state, NodeState.STOPPED)
    if info is not None and info.node_state is NodeState.DOWN and state is NodeState.RUNNING:
        state = NodeState.DOWN
    return Node(
        job_id=record.job_id,
        name=name,
        role="batch" if name == record.batch_host else "compute",
        host=info.address if info is not None else name,
        port=port,
        state=state,
        cores=info.cpus if info is not None else None,
        load=info.load if info is not None else None,
        user=user,
    )


def sort_key(job: Job) -> tuple[bool, int]:
    """Active jobs first, then the newest (highest id) first."""
    digits = "".join(ch for ch in job.id if ch.isdigit())
    return (not job.state.is_active, -int(digits) if digits else 0)


def record_facts(record: SlurmJob) -> dict[str, str]:
    """Exit code, time limit and log paths, for the job details."""
    facts: dict[str, str] = {}
    if record.array_job_id:
        task = record.array_task_id if record.array_task_id is not None else record.array_tasks
        facts["Array task"] = f"{record.array_job_id}_{task}"
    if record.job_state.is_finished:
        facts["Exit code"] = record.exit.describe() or "0"
    limit = record.time_limit
    facts["Time limit"] = f"{limit} min" if limit is not None else "UNLIMITED"
    facts["StdOut"] = output_path(record)
    stderr = output_path(record, stderr=True)
    facts["StdErr"] = stderr if stderr != facts["StdOut"] else "same file as StdOut"
    return facts
