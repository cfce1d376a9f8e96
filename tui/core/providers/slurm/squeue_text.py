"""squeue's text form (`--Format`), read instead of `--json` on every poll.

`squeue --json` is several times slower than the text form on big clusters (it serialises every
job's ~110 keys), so the poll asks only for the fields clusterdeck uses. Job names, paths and
reasons may hold any byte, delimiters and newlines included (Slurm stores them as given), so the
separators carry a random token made fresh for each poll: a name written before the poll cannot
contain it, and a record that does not split into exactly the expected fields is refused rather
than guessed at. (The token is on squeue's command line, so `ps` on the login host shows it while
squeue runs: a job renamed within those milliseconds could use it.) Times come as Unix seconds
(`SLURM_TIME_FORMAT=%s`).

Not in the text form, kept from elsewhere: the release (`squeue --version`, once), 23.x's state
flags (only the base state is printed), and the requested memory of a running job on clusters
that do not allocate memory (`tres-alloc` then has no `mem=`; sacct has it once the job ends).
"""

from __future__ import annotations

import re
import secrets
import shlex
from dataclasses import dataclass

from tui.core.providers.slurm.hostlist import HostlistError, expand_hostlist
from tui.core.providers.slurm.parse import (
    SlurmFormatError,
    SlurmJob,
    decode_exit,
    timestamp,
    tres_mem_mb,
)

FIELDS = (
    "JobID",
    "ArrayJobID",
    "ArrayTaskID",
    "Name",
    "UserName",
    "State",
    "Reason",
    "Partition",
    "NodeList",
    "NumNodes",
    "BatchHost",
    "SubmitTime",
    "StartTime",
    "EndTime",
    "TimeLimit",
    "exit_code",
    "WorkDir",
    "STDOUT",
    "STDERR",
    "NumCPUs",
    "tres-alloc",
)
"""The `--Format` fields, in the order they are printed."""

_UNSET = {"", "N/A", "NONE", "(null)", "Unknown", "n/a"}
_LIMIT = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


@dataclass(frozen=True)
class TextQuery:
    """One poll's squeue command and the separators it asked for."""

    field_sep: str
    record_end: str

    @classmethod
    def fresh(cls) -> TextQuery:
        """Separators with a new random token (hex: no `,` or `:` that `--Format` would parse)."""
        token = secrets.token_hex(8)
        return cls(field_sep=f"\x1f{token}\x1f", record_end=f"\x1e{token}\x1e")

    def command(self, squeue: str, *, all_users: bool) -> str:
        """`env SLURM_TIME_FORMAT=%s squeue [--me] --noheader --states=all --Format=...`.

        `--states=all` keeps finished jobs (for `MinJobAge`), as `--json` lists them; `env`
        sets the time format in any login shell (csh too).
        """
        last = len(FIELDS) - 1
        spec = ",".join(
            f"{name}:{self.record_end if i == last else self.field_sep}"
            for i, name in enumerate(FIELDS)
        )
        mine = "" if all_users else " --me"
        return (
            f"env SLURM_TIME_FORMAT=%s {shlex.quote(squeue)}{mine} --noheader --states=all "
            f"--Format={shlex.quote(spec)}"
        )

    def parse(self, raw: str, version: str | None = None) -> tuple[SlurmJob, ...]:
        """The jobs of one answer; raises `SlurmFormatError` on a record it cannot split."""
        records = raw.split(self.record_end + "\n")
        if records[-1].strip():
            raise _unknown(version, f"it printed: {records[-1].strip()[:200]!r}")
        jobs = []
        for record in records[:-1]:
            values = record.split(self.field_sep)
            if len(values) != len(FIELDS):
                got = f"a record of {len(values)} fields, not {len(FIELDS)}: {record[:200]!r}"
                raise _unknown(version, got)
            jobs.append(job_of(dict(zip(FIELDS, values, strict=True))))
        return tuple(jobs)


def _unknown(version: str | None, what: str) -> SlurmFormatError:
    return SlurmFormatError(
        f"`squeue --Format` from Slurm {version or '(unknown version)'} printed what clusterdeck "
        f"does not understand ({what}); clusterdeck understands Slurm 21.08 to 25.x"
    )


def count(value: str) -> int | None:
    """A number field; None for `N/A` and the like."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None  # not "²" or "٣"


def limit_minutes(value: str) -> int | None:
    """`TimeLimit` (`5:00`, `1:30:00`, `2-00:00:00`, `UNLIMITED`) in minutes; None if unset."""
    match = _LIMIT.match(value.strip())
    if match is None:
        return None
    days, first, second, third = (int(g) if g else 0 for g in match.groups())
    if match.group(4) is not None:  # h:m:s
        seconds = first * 3600 + second * 60 + third
    elif match.group(3) is not None:  # m:s, or h:m after days
        seconds = first * 3600 + second * 60 if match.group(1) else first * 60 + second
    else:  # minutes, or hours after days
        seconds = first * 3600 if match.group(1) else first * 60
    return days * 1440 + seconds // 60


def exit_of(value: str) -> object:
    """`exit_code`: the raw wait status (22.05: `768`), or `code:signal` where printed so."""
    code, sep, sig = value.strip().partition(":")
    if sep and code.isdigit() and sig.isdigit():
        return {"return_code": int(code), "signal": int(sig)}
    return count(code)


def _path(value: str, job_id: str, workdir: str) -> str:
    """STDOUT/STDERR; squeue fills an unset one with `WORKDIR/slurm-ID.out`, which is wrong
    for array tasks (sbatch writes `slurm-%A_%a.out`), so that default reads as unset."""
    return "" if value == f"{workdir.rstrip('/')}/slurm-{job_id}.out" else value


def job_of(fields: dict[str, str]) -> SlurmJob:
    """One record by field name."""
    job_id = count(fields["JobID"])
    if job_id is None:
        raise SlurmFormatError(f"a squeue record has no job id: {fields['JobID'][:40]!r}")
    hostlist = "" if fields["NodeList"] in _UNSET else fields["NodeList"]
    try:
        nodes = tuple(expand_hostlist(hostlist))
    except HostlistError:
        nodes = ()
    array_job = count(fields["ArrayJobID"])
    task = fields["ArrayTaskID"]
    is_array = array_job is not None and task not in _UNSET
    state = fields["State"].strip().upper() or "UNKNOWN"
    workdir = fields["WorkDir"]
    epoch = {k: count(fields[k]) for k in ("SubmitTime", "StartTime", "EndTime")}
    return SlurmJob(
        job_id=str(job_id),
        name=fields["Name"],
        user=fields["UserName"],
        state=state,
        reason=fields["Reason"],
        partition=fields["Partition"],
        nodes=nodes,
        hostlist=hostlist,
        node_count=count(fields["NumNodes"]) or len(nodes),
        batch_host="" if fields["BatchHost"] in _UNSET else fields["BatchHost"],
        submitted=timestamp(epoch["SubmitTime"]),
        started=timestamp(epoch["StartTime"]),
        ended=timestamp(epoch["EndTime"]),
        time_limit=limit_minutes(fields["TimeLimit"]),
        exit=decode_exit(exit_of(fields["exit_code"])),
        workdir=workdir,
        stdout=_path(fields["STDOUT"], str(job_id), workdir),
        stderr=_path(fields["STDERR"], str(job_id), workdir),
        array_job_id=array_job if is_array else None,
        array_task_id=count(task) if is_array else None,
        array_tasks=task if is_array and count(task) is None else "",
        cpus=count(fields["NumCPUs"]),
        req_mem_mb=tres_mem_mb(fields["tres-alloc"]),
    )


def release_of(raw: str) -> str | None:
    """`22.05.8` from `squeue --version` (`slurm-wlm 22.05.8`, `slurm 23.11.1`)."""
    words = raw.split()
    return words[-1] if len(words) >= 2 and words[-1][:1].isdigit() else None
