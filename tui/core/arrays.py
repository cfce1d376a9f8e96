"""Array jobs as one entry: the tasks of an array grouped, with how many are in each state.

    items = group_arrays(jobs)   # Jobs, with each array's tasks replaced by one ArrayGroup

A group stands where its first task was listed. A pending range (`Job.task_count` > 1) counts
as that many tasks, so an array of 10,000 pending tasks is one group of 10,000 from one entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tui.core.models import Job, JobState

STATE_ORDER = (
    JobState.RUNNING,
    JobState.STARTING,
    JobState.STOPPING,
    JobState.QUEUED,
    JobState.FAILED,
    JobState.STOPPED,
    JobState.COMPLETED,
    JobState.UNKNOWN,
)
"""How tasks are ordered inside a group, and which state a group shows first."""


@dataclass(frozen=True)
class ArrayGroup:
    """The tasks of one array job."""

    provider: str
    array_id: str
    name: str
    tasks: tuple[Job, ...]
    """In `STATE_ORDER` (running first), by task index within each state."""

    @property
    def key(self) -> str:
        """The group's row key (never a job's key: job ids hold no `:`)."""
        return f"{self.provider}:array:{self.array_id}"

    @property
    def total(self) -> int:
        """How many tasks (a pending range counts as its size)."""
        return sum(task.task_count for task in self.tasks)

    @property
    def counts(self) -> Mapping[JobState, int]:
        """Tasks per state, in `STATE_ORDER`, states with none left out."""
        found: dict[JobState, int] = {}
        for task in self.tasks:
            found[task.state] = found.get(task.state, 0) + task.task_count
        return {state: found[state] for state in STATE_ORDER if state in found}

    @property
    def state(self) -> JobState:
        """The group's state: the first of `STATE_ORDER` any task is in."""
        return next(iter(self.counts), JobState.UNKNOWN)

    @property
    def representative(self) -> Job:
        """The task whose nodes and log the group shows: the first (a running one if any)."""
        return self.tasks[0]


Item = Job | ArrayGroup


def _task_order(job: Job) -> tuple[int, int]:
    index = job.array_task.split("-")[0].split(",")[0]
    return (STATE_ORDER.index(job.state), int(index) if index.isdigit() else 1 << 62)


def group_arrays(jobs: Sequence[Job]) -> list[Item]:
    """`jobs` in order, the tasks of each array replaced by one `ArrayGroup`."""
    members: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        if job.array_id:
            members.setdefault((job.provider, job.array_id), []).append(job)
    items: list[Item] = []
    placed: set[tuple[str, str]] = set()
    for job in jobs:
        group_key = (job.provider, job.array_id)
        if not job.array_id:
            items.append(job)
        elif group_key not in placed:
            placed.add(group_key)
            tasks = sorted(members[group_key], key=_task_order)
            items.append(ArrayGroup(job.provider, job.array_id, job.name, tuple(tasks)))
    return items
