"""`sacct --json`: finished (and running) jobs from Slurm's accounting, with what they used.

Shapes: 22.05 (openapi/dbv0.0.38) has `state.current` as a string, plain numbers (`null` =
unset) and `exit_code.signal.signal_id`; 23.02+ (data_parser v0.0.39+) has `state.current` as a
list, numbers as `{"set", "infinite", "number"}`, `exit_code.signal.id`, and `stdout`/`stderr`
(24.05 adds `stdout_expanded`). A job's CPU time is the sum of its steps' `time.total` (what
sacct prints as TotalCPU); its MaxRSS is the largest `mem` in the steps' `tres.requested.max`
(bytes); GPU figures are `gres/gpuutil` and `gres/gpumem` there, where the site accounts them.

22.05's JSON writes `exit_code` SUCCESS/0 for a job that exited 3 (its text output is right):
`AccountedJob.exit_suspect` marks those so the caller can ask `sacct -P` for the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tui.core.providers.slurm.hostlist import HostlistError, expand_hostlist
from tui.core.providers.slurm.parse import (
    ExitStatus,
    SlurmJob,
    _load,
    _unknown,
    check_errors,
    decode_exit,
    flags,
    hostlist_of,
    number,
    text,
    timestamp,
    version_of,
)

COMMAND = "sacct --json"
FAILED_STATES = frozenset({"FAILED"})
"""States whose exit code cannot be 0: a 0 there is 22.05's JSON bug (`exit_suspect`)."""


@dataclass(frozen=True)
class Accounting:
    """What a job was given and what it used, as accounted (None where not recorded)."""

    elapsed: int | None = None
    """Seconds from start to end (or to now, while running)."""
    total_cpu: float | None = None
    """CPU seconds (user + system) of all its steps: sacct's TotalCPU."""
    alloc_cpus: int | None = None
    req_cpus: int | None = None
    req_mem_mb: float | None = None
    """Requested memory of the whole job, in MB."""
    max_rss: int | None = None
    """The largest task's peak resident memory over the steps, in bytes: sacct's MaxRSS."""
    tasks: int = 1
    """Most tasks in one step."""
    nodes: int = 1
    gpus: int | None = None
    gpu_util: float | None = None
    """Mean `gres/gpuutil` (percent) over the steps that report it."""
    gpu_mem: int | None = None
    """Peak `gres/gpumem` in bytes."""
    steps: int = 0
    open_steps: int = 0
    """Steps still running in the accounting (a finished job's last figures arrive late)."""


@dataclass(frozen=True)
class AccountedJob:
    """One `sacct --json` job: the fields squeue also has, and its accounting."""

    job: SlurmJob
    usage: Accounting
    exit_suspect: bool = False
    """It failed but the JSON says exit 0 (Slurm 22.05): the exit code needs another look."""


@dataclass(frozen=True)
class SacctReply:
    """A parsed `sacct --json`."""

    version: str
    jobs: tuple[AccountedJob, ...] = ()


def _tres(items: Any) -> dict[str, float]:
    """A TRES list (`[{"type": "gres", "name": "gpu", "count": 2}]`) -> {"gres/gpu": 2}."""
    found: dict[str, float] = {}
    if not isinstance(items, list):
        return found
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind, name = text(item.get("type")), text(item.get("name"))
        count = number(item.get("count"))
        if kind and count is not None:
            found[f"{kind}/{name}" if name else kind] = float(count)
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seconds(value: Any) -> float | None:
    """`{"seconds": 1, "microseconds": 834807}` -> 1.834807."""
    if not isinstance(value, Mapping):
        return None
    seconds, micros = number(value.get("seconds")), number(value.get("microseconds"))
    if seconds is None and micros is None:
        return None
    return (seconds or 0) + (micros or 0) / 1e6


def _steps_usage(steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    cpu: float | None = None
    rss: int | None = None
    gpu_mem: int | None = None
    utils: list[float] = []
    tasks = count = still_open = 0
    for step in steps:
        count += 1
        if flags(step.get("state"))[:1] in (("RUNNING",), ("PENDING",)):
            still_open += 1  # recorded at its start; its figures come when it ends
            continue
        total = _seconds(_mapping(step.get("time")).get("total"))
        if total is not None:
            cpu = (cpu or 0.0) + total
        requested = _mapping(_mapping(step.get("tres")).get("requested"))
        peak, mean = _tres(requested.get("max")), _tres(requested.get("average"))
        if "mem" in peak:
            rss = max(rss or 0, int(peak["mem"]))
        if "gres/gpumem" in peak:
            gpu_mem = max(gpu_mem or 0, int(peak["gres/gpumem"]))
        util = mean.get("gres/gpuutil", peak.get("gres/gpuutil"))
        if util is not None:
            utils.append(util)
        tasks = max(tasks, number(_mapping(step.get("tasks")).get("count")) or 0)
    return {
        "total_cpu": cpu,
        "max_rss": rss,
        "gpu_mem": gpu_mem,
        "gpu_util": sum(utils) / len(utils) if utils else None,
        "tasks": tasks or 1,
        "steps": count,
        "open_steps": still_open,
    }


def parse_accounted(item: Mapping[str, Any]) -> AccountedJob | None:
    """One `sacct --json` job (None when it has no id)."""
    job_id = number(item.get("job_id"))
    if job_id is None:
        return None
    state_block = _mapping(item.get("state"))
    states = flags(state_block.get("current") if state_block else item.get("state"))
    times = _mapping(item.get("time"))
    array = _mapping(item.get("array"))
    array_job = number(array.get("job_id"))
    hostlist = hostlist_of(item.get("nodes"))
    try:
        nodes = tuple(expand_hostlist(hostlist)) if hostlist not in ("", "None assigned") else ()
    except HostlistError:
        nodes = ()
    limit = number(times.get("limit"))
    exit_block = item.get("exit_code")
    exit_status = decode_exit(exit_block)
    state = states[0] if states else "UNKNOWN"
    job = SlurmJob(
        job_id=str(job_id),
        name=text(item.get("name")),
        user=text(item.get("user")),
        state=state,
        state_flags=states[1:],
        reason=text(state_block.get("reason")),
        partition=text(item.get("partition")),
        nodes=nodes,
        hostlist=hostlist,
        node_count=number(item.get("allocation_nodes")) or len(nodes),
        batch_host=nodes[0] if nodes else "",
        submitted=timestamp(times.get("submission")),
        started=timestamp(times.get("start")),
        ended=timestamp(times.get("end")),
        time_limit=limit if limit is not None and 0 <= limit < 0xFFFFFFFE else None,
        exit=exit_status,
        workdir=text(item.get("working_directory")),
        stdout=text(item.get("stdout")),
        stderr=text(item.get("stderr")),
        stdout_expanded=text(item.get("stdout_expanded")),
        stderr_expanded=text(item.get("stderr_expanded")),
        array_job_id=array_job or None,
        array_task_id=number(array.get("task_id")) if array_job else None,
        array_tasks=text(array.get("task")) if array_job else "",
    )
    tres = _mapping(item.get("tres"))
    allocated, requested = _tres(tres.get("allocated")), _tres(tres.get("requested"))
    steps = item.get("steps")
    step_list = [s for s in steps if isinstance(s, Mapping)] if isinstance(steps, list) else []
    used = _steps_usage(step_list)
    if used["total_cpu"] is None:  # no step recorded (yet): only a job-level figure counts
        used["total_cpu"] = _seconds(times.get("total")) or None
    gpus = allocated.get("gres/gpu", requested.get("gres/gpu"))
    alloc_cpus = allocated.get("cpu")
    usage = Accounting(
        elapsed=number(times.get("elapsed")),
        alloc_cpus=int(alloc_cpus) if alloc_cpus else None,
        req_cpus=int(requested["cpu"]) if requested.get("cpu") else None,
        req_mem_mb=requested.get("mem") or allocated.get("mem") or None,
        nodes=int(allocated.get("node") or job.node_count or 1),
        gpus=int(gpus) if gpus else None,
        **used,
    )
    suspect = state in FAILED_STATES and not exit_status.signal and not exit_status.code
    return AccountedJob(job=job, usage=usage, exit_suspect=suspect)


def parse_sacct(raw: str, command: str = COMMAND) -> SacctReply:
    """Parse `sacct --json`; raises on an `errors` list or an unknown shape."""
    doc = _load(raw, command)
    check_errors(doc, command)
    jobs = doc.get("jobs")
    if not isinstance(jobs, list):
        raise _unknown(doc, command, "`jobs` list")
    parsed = (parse_accounted(item) for item in jobs if isinstance(item, Mapping))
    return SacctReply(version=version_of(doc), jobs=tuple(j for j in parsed if j is not None))


def with_exit_codes(reply: SacctReply, codes: Mapping[str, tuple[int, int]]) -> SacctReply:
    """`reply` with the (code, signal) of `sacct -P --format=JobIDRaw,ExitCode` filled in."""
    fixed = []
    for entry in reply.jobs:
        found = codes.get(entry.job.job_id)
        if entry.exit_suspect and found is not None:
            status = ExitStatus(code=found[0], signal=found[1] or None)
            entry = replace(entry, job=replace(entry.job, exit=status), exit_suspect=False)
        fixed.append(entry)
    return replace(reply, jobs=tuple(fixed))


def parse_exit_codes(raw: str) -> dict[str, tuple[int, int]]:
    """`4|3:0` lines (JobIDRaw|ExitCode) -> {"4": (3, 0)}."""
    codes: dict[str, tuple[int, int]] = {}
    for line in raw.splitlines():
        job_id, _, code = line.strip().partition("|")
        exit_code, _, sig = code.partition(":")
        if job_id.isdigit() and exit_code.isdigit() and sig.isdigit():
            codes[job_id] = (int(exit_code), int(sig))
    return codes
