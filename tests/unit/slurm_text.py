"""squeue's text form rendered from a canned `squeue --json` document, as squeue 22.05 prints it.

The canned replies under tests/data/slurm are JSON (real 22.05 output and documented 23.11
shapes), read here (`read_json`: the provider has no `--json` reader for squeue); the provider
polls the `--Format` text form, so a canned squeue answers the command it is given: `--version`
from the document's `meta`, `--Format=...` with the command's own separators, the document's
`errors` as squeue's exit 1. The real squeue: tests/integration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.core.errors import ProviderUnavailable
from tui.core.providers.slurm.hostlist import HostlistError, expand_hostlist
from tui.core.providers.slurm.parse import (
    SlurmFormatError,
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
    tres_mem_mb,
    version_of,
)
from tui.core.providers.slurm.squeue_text import FIELDS, TextQuery, release_of

Reply = tuple[int, str, str]
_SPEC = re.compile(r"--Format='?([^']*)'?")


@dataclass(frozen=True)
class JsonReply:
    """A canned `squeue --json` document read: the release that wrote it, and its jobs."""

    version: str
    jobs: tuple[SlurmJob, ...] = ()


def job_of_json(item: Mapping[str, Any]) -> SlurmJob:
    """One `squeue --json` job object (22.05 or 23.x+ shape)."""
    job_id = number(item.get("job_id"))
    if job_id is None:
        raise SlurmFormatError("a job in `squeue --json` has no job_id")
    states = flags(item.get("job_state"))
    hostlist = hostlist_of(item.get("nodes"))
    try:
        nodes = tuple(expand_hostlist(hostlist))
    except HostlistError:
        nodes = ()
    array_job, limit = number(item.get("array_job_id")), number(item.get("time_limit"))
    return SlurmJob(
        job_id=str(job_id),
        name=text(item.get("name")),
        user=text(item.get("user_name") or item.get("user")),
        state=states[0] if states else "UNKNOWN",
        state_flags=states[1:],
        reason=text(item.get("state_reason")),
        partition=text(item.get("partition")),
        nodes=nodes,
        hostlist=hostlist,
        node_count=number(item.get("node_count")) or len(nodes),
        batch_host=text(item.get("batch_host")),
        submitted=timestamp(item.get("submit_time")),
        started=timestamp(item.get("start_time")),
        ended=timestamp(item.get("end_time")),
        time_limit=limit if limit is not None and 0 <= limit < 0xFFFFFFFE else None,  # NO_VAL
        exit=decode_exit(item.get("exit_code")),
        workdir=text(item.get("current_working_directory")),
        stdout=text(item.get("standard_output")),
        stderr=text(item.get("standard_error")),
        stdout_expanded=text(item.get("stdout_expanded")),
        stderr_expanded=text(item.get("stderr_expanded")),
        array_job_id=array_job or None,
        array_task_id=number(item.get("array_task_id")) if array_job else None,
        array_tasks=text(item.get("array_task_string")) if array_job else "",
        cpus=number(item.get("cpus")),
        req_mem_mb=tres_mem_mb(text(item.get("tres_req_str"))),
    )


def read_json(raw: str, command: str = "squeue --json") -> JsonReply:
    """A canned `squeue --json` document; raises on an `errors` list or an unknown shape."""
    doc = _load(raw, command)
    check_errors(doc, command)
    jobs = doc.get("jobs")
    if not isinstance(jobs, list):
        raise _unknown(doc, command, "`jobs` list")
    parsed = tuple(job_of_json(item) for item in jobs if isinstance(item, Mapping))
    return JsonReply(version=version_of(doc), jobs=parsed)


def polled(doc: str) -> tuple[str | None, tuple[SlurmJob, ...]]:
    """The release and jobs the provider reads from squeue's text form on this cluster."""
    query = TextQuery.fresh()
    code, out, err = answer(doc, query.command("squeue", all_users=True))
    if code:
        raise ProviderUnavailable(err)
    version = release_of(answer(doc, "squeue --version")[1])
    return version, query.parse(out, version)


def limit(minutes: int | None) -> str:
    """squeue's TimeLimit: `5:00`, `1:30:00`, `2-00:00:00`, `UNLIMITED`."""
    if minutes is None:
        return "UNLIMITED"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02}:{mins:02}:00"
    return f"{hours}:{mins:02}:00" if hours else f"{mins}:00"


def values(job: SlurmJob) -> dict[str, str]:
    """The `--Format` fields of one job."""
    default = f"{job.workdir.rstrip('/')}/slurm-{job.job_id}.out"
    stdout = job.stdout or default
    task = str(job.array_task_id) if job.array_task_id is not None else job.array_tasks
    status = (job.exit.code or 0) << 8 | (job.exit.signal or 0)
    epoch = [str(int(t.timestamp())) if t else "N/A" for t in (job.submitted, job.started)]
    return {
        "JobID": job.job_id,
        "ArrayJobID": str(job.array_job_id or job.job_id),
        "ArrayTaskID": task or "N/A",
        "Name": job.name,
        "UserName": job.user,
        "State": job.state,
        "Reason": job.reason,
        "Partition": job.partition,
        "NodeList": job.hostlist,
        "NumNodes": str(job.node_count),
        "BatchHost": job.batch_host or "n/a",
        "SubmitTime": epoch[0],
        "StartTime": epoch[1],
        "EndTime": str(int(job.ended.timestamp())) if job.ended else "NONE",
        "TimeLimit": limit(job.time_limit),
        "exit_code": str(status),
        "WorkDir": job.workdir,
        "STDOUT": stdout,
        "STDERR": job.stderr or stdout,
        "NumCPUs": str(job.cpus or 0),
        "tres-alloc": f"cpu={job.cpus or 0},mem={int(job.req_mem_mb)}M" if job.req_mem_mb else "",
    }


def render(jobs: tuple[SlurmJob, ...], command: str) -> str:
    """The records `command`'s `--Format` asks for, with its separators."""
    match = _SPEC.search(command)
    assert match is not None, command
    specs = match.group(1).split(",")
    assert [s.split(":", 1)[0] for s in specs] == list(FIELDS)
    ends = [s.split(":", 1)[1] for s in specs]
    lines = []
    for job in jobs:
        fields = values(job)
        lines.append("".join(fields[name] + end for name, end in zip(FIELDS, ends, strict=True)))
    return "".join(line + "\n" for line in lines)


def answer(doc: str, command: str) -> Reply:
    """What squeue prints for `command` on a cluster whose `--json` printed `doc`."""
    try:
        reply = read_json(doc)
    except ProviderUnavailable:
        return 1, "", "squeue: error: slurm_load_jobs error: Unable to contact slurm controller"
    if "--version" in command:
        return 0, f"slurm {reply.version}\n", ""
    return 0, render(reply.jobs, command), ""
