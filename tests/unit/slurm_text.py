"""squeue's text form rendered from a canned `squeue --json` document, as squeue 22.05 prints it.

The canned replies under tests/data/slurm are JSON (real 22.05 output and documented 23.11
shapes); the provider polls the `--Format` text form, so a canned squeue answers the command it
is given: `--version` from the document's `meta`, `--Format=...` with the command's own
separators, the document's `errors` as squeue's exit 1. The real squeue: tests/integration.
"""

from __future__ import annotations

import re

from tui.core.errors import ProviderUnavailable
from tui.core.providers.slurm.parse import SlurmJob, parse_squeue
from tui.core.providers.slurm.squeue_text import FIELDS

Reply = tuple[int, str, str]
_SPEC = re.compile(r"--Format='?([^']*)'?")


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
        reply = parse_squeue(doc)
    except ProviderUnavailable:
        return 1, "", "squeue: error: slurm_load_jobs error: Unable to contact slurm controller"
    if "--version" in command:
        return 0, f"slurm {reply.version}\n", ""
    return 0, render(reply.jobs, command), ""
