"""Efficiency of running jobs: `sstat` of their steps, refreshed in the background.

sacct has a step's CPU time only once the step ends; `sstat -a` asks the nodes for the running
steps' figures (CPU time so far, peak RSS), which need `JobAcctGatherType` other than `none`.
One `sstat` call covers every running job (at most `MAX_JOBS`), at most every `interval`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tui.core.errors import ClusterdeckError
from tui.core.models import JobState
from tui.core.providers.slurm.history import Command
from tui.core.providers.slurm.parse import SlurmJob
from tui.core.providers.slurm.sacct import Accounting

log = logging.getLogger(__name__)

MAX_JOBS = 50
INTERVAL = 30.0
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([KMGT]?)$")


@dataclass(frozen=True)
class Sampled:
    """One running job's figures so far, from its steps."""

    cpu: float
    """CPU seconds of its steps so far."""
    max_rss: int | None
    """The largest task's peak RSS, in bytes."""
    tasks: int


def duration(text: str) -> float | None:
    """`1-02:03:04`, `02:03:04`, `03:04.500` -> seconds; None when it is not a duration."""
    days, _, rest = text.rpartition("-")
    try:
        total = 0.0
        for part in rest.split(":"):
            total = total * 60 + float(part)
        return total + (int(days) * 86400 if days else 0)
    except ValueError:
        return None


def size(text: str) -> int | None:
    """`4852K` -> bytes."""
    match = _SIZE.match(text.strip())
    if match is None:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _tres(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def parse_sstat(raw: str) -> dict[str, Sampled]:
    """`JobID|TRESUsageInTot|TRESUsageInMax|NTasks` lines -> figures per job id."""
    found: dict[str, Sampled] = {}
    for line in raw.splitlines():
        fields = line.strip().split("|")
        if len(fields) < 4:
            continue
        job_id = fields[0].split(".")[0].split("_")[0]
        cpu = duration(_tres(fields[1]).get("cpu", ""))
        if not job_id.isdigit() or cpu is None:
            continue
        rss = size(_tres(fields[2]).get("mem", ""))
        tasks = int(fields[3]) if fields[3].isdigit() else 1
        old = found.get(job_id)
        if old is not None:
            rss = max(rss or 0, old.max_rss or 0) or None
            cpu, tasks = cpu + old.cpu, max(tasks, old.tasks)
        found[job_id] = Sampled(cpu=cpu, max_rss=rss, tasks=tasks)
    return found


class LiveUsage:
    """The running jobs' figures so far, by job id; `problem` says why there are none."""

    def __init__(self, command: Command, *, interval: float = INTERVAL) -> None:
        self._command = command
        self.interval = interval
        self.sampled: dict[str, Sampled] = {}
        self.problem: str = ""
        self._checked_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def kick(self, running: Iterable[SlurmJob]) -> None:
        """Start an `sstat` of the running jobs when the last one is older than `interval`."""
        ids = [job.job_id for job in running][:MAX_JOBS]
        if not ids or (self._task is not None and not self._task.done()):
            return
        if self._checked_at is not None and time.monotonic() - self._checked_at < self.interval:
            return
        self._checked_at = time.monotonic()
        self._task = asyncio.create_task(self.refresh(ids), name="slurm-sstat")

    async def refresh(self, ids: list[str]) -> None:
        """Ask sstat (never raises: a failure is kept in `problem`)."""
        try:
            out, _ = await self._command(
                "sstat", "-n", "-P", "-a", "-j", ",".join(ids),
                "--format=JobID,TRESUsageInTot,TRESUsageInMax,NTasks",
            )  # fmt: skip
        except ClusterdeckError as exc:
            self.problem = f"sstat gave no figures for the running jobs: {exc.message}"
            return
        except Exception as exc:  # never let a background refresh die unseen
            log.exception("sstat refresh failed")
            self.problem = f"sstat gave no figures for the running jobs: {exc}"
            return
        self.problem = ""
        self.sampled = parse_sstat(out)

    async def close(self) -> None:
        """Stop an sstat under way."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def live_accounting(record: SlurmJob, sampled: Sampled | None, now: datetime) -> Accounting | None:
    """A running job's figures so far, as `Accounting` (None without a sample)."""
    if sampled is None or record.started is None or record.job_state is not JobState.RUNNING:
        return None
    return Accounting(
        elapsed=max(0, int((now - record.started).total_seconds())),
        total_cpu=sampled.cpu,
        alloc_cpus=record.cpus,
        req_mem_mb=record.req_mem_mb,
        max_rss=sampled.max_rss,
        tasks=sampled.tasks,
        steps=1,
    )
