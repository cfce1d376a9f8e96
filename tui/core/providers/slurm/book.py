"""What the Slurm provider knows of each job: squeue's records, sacct's history, sstat's samples.

squeue is the authority while Slurm lists a job; sacct (`History`) adds the finished ones squeue
has forgotten and the efficiency of every finished job; sstat (`LiveUsage`) the figures so far of
running ones. StdOut/StdErr seen in squeue are kept for jobs that leave it, since 22.05's
accounting records none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tui.core.models import Job, JobState, Usage
from tui.core.providers.slurm.history import History
from tui.core.providers.slurm.live import LiveUsage, live_accounting
from tui.core.providers.slurm.parse import SlurmJob
from tui.core.providers.slurm.sacct import AccountedJob, Accounting
from tui.core.providers.slurm.usage import usage_facts, usage_of
from tui.core.providers.slurm.view import record_facts, sort_key, to_job

REMEMBERED = 5000
"""squeue records kept after they leave squeue (their StdOut, which 22.05's sacct lacks)."""


class JobBook:
    """squeue's records and sacct's and sstat's figures, merged into the jobs to show."""

    def __init__(self, provider: str, history: History, live: LiveUsage) -> None:
        self.provider = provider
        self.history = history
        self.live = live
        self.records: dict[str, SlurmJob] = {}
        """The last squeue listing, by job id."""
        self._seen: dict[str, SlurmJob] = {}
        self._finished: dict[str, tuple[AccountedJob, Job]] = {}

    def listed(self, records: dict[str, SlurmJob]) -> None:
        """A new squeue listing."""
        self.records = records
        self._seen.update(records)
        while len(self._seen) > REMEMBERED:
            del self._seen[next(iter(self._seen))]

    def jobs(self, now: datetime) -> list[Job]:
        """squeue's jobs, then the finished ones only sacct still has; active first."""
        jobs = [to_job(r, self.provider, now, self.usage(r, now)) for r in self.records.values()]
        for job_id, entry in self.history.jobs.items():
            if job_id not in self.records and entry.job.job_state.is_finished:
                jobs.append(self._finished_job(entry, now))
        if len(self._finished) > len(self.history.jobs) + 1000:  # jobs that left the window
            known = self.history.jobs
            self._finished = {k: v for k, v in self._finished.items() if k in known}
        return sorted(jobs, key=sort_key)

    def _finished_job(self, entry: AccountedJob, now: datetime) -> Job:
        """Made once per sacct record: a finished job does not change, and a week of a
        10,000-task array must not cost every poll."""
        cached = self._finished.get(entry.job.job_id)
        if cached is not None and cached[0] is entry:
            return cached[1]
        job = to_job(self.with_paths(entry.job), self.provider, now, usage_of(entry.usage))
        self._finished[entry.job.job_id] = (entry, job)
        return job

    def known(self, job_id: str) -> SlurmJob | None:
        """The job's squeue record, else its sacct record (with the paths squeue showed)."""
        record = self.records.get(job_id)
        if record is None and job_id in self.history.jobs:
            record = self.with_paths(self.history.jobs[job_id].job)
        return record

    def with_paths(self, record: SlurmJob) -> SlurmJob:
        """`record` with StdOut/StdErr from squeue when sacct has none (22.05 records none)."""
        seen = self._seen.get(record.job_id)
        if seen is None or record.stdout or record.stdout_expanded:
            return record
        return replace(record, stdout=seen.stdout, stderr=seen.stderr)

    def usage(self, record: SlurmJob, now: datetime) -> Usage | None:
        """A finished job's efficiency from sacct, a running one's so far from sstat."""
        entry = self.history.jobs.get(record.job_id)
        if record.job_state.is_finished and entry is not None:
            return usage_of(entry.usage)
        live = self._live(record, now)
        return usage_of(live, running=True) if live is not None else None

    def _live(self, record: SlurmJob, now: datetime) -> Accounting | None:
        return live_accounting(record, self.live.sampled.get(record.job_id), now)

    def facts(self, job: Job, now: datetime) -> dict[str, str]:
        """Exit code, time limit, log paths, efficiency with its caveats, why figures lack."""
        facts: dict[str, str] = {}
        record = self.known(job.id)
        if record is not None:
            facts.update(record_facts(record))
        entry = self.history.jobs.get(job.id)
        live = self._live(record, now) if record is not None else None
        if entry is not None and entry.job.job_state.is_finished:
            facts.update(usage_facts(entry.usage, usage_of(entry.usage)))
        elif live is not None:
            facts.update(usage_facts(live, usage_of(live, running=True)))
        elif job.state is JobState.RUNNING:
            facts["Efficiency"] = self.live.problem or "first figures within 30 s (sstat)"
        if self.history.problem is not None:
            facts["Accounting"] = self.history.problem.message
        return facts

    def path_hint(self, record: SlurmJob) -> str:
        """Why a missing file's path may be a guess (22.05's sacct records no --output)."""
        if record.stdout or record.stdout_expanded or record.job_id in self.records:
            return ""
        return (
            "; this job's accounting does not record its --output (Slurm before 23.02), so this "
            "is sbatch's default path"
        )
