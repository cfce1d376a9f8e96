"""Turn core models into the rows the widgets show (widgets never see `tui` types).

Text a provider sent is made inert here (`tui.core.printable.inert`); row keys stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tui.core.arrays import ArrayGroup, Item
from tui.core.identity.keyfiles import KeyFile
from tui.core.identity.keyinfo import PublicKeyInfo
from tui.core.models import Job, JobState, Node, NodeState
from tui.core.printable import inert
from tui.core.usage import short_usage
from tui.core.watch.metrics import History, Sample
from widgets.tables.job import JobRow
from widgets.tables.node import NodeRow
from widgets.tables.sshkey import KeyRow

_JOB_TONES = {
    JobState.RUNNING: "active",
    JobState.COMPLETED: "ok",
    JobState.QUEUED: "waiting",
    JobState.STARTING: "waiting",
    JobState.STOPPING: "waiting",
    JobState.FAILED: "error",
}

_NODE_TONES = {
    NodeState.RUNNING: "active",
    NodeState.PENDING: "waiting",
    NodeState.STARTING: "waiting",
    NodeState.DOWN: "error",
}


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d"


def local_time_and_age(moment: datetime, now: datetime) -> str:
    """`2026-12-07 22:51 (12 min ago)`: `moment` in local time, and its age at `now`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((now - moment).total_seconds())
    span = abs(seconds)
    if span < 60:
        age = f"{span} s"
    elif span < 3600:
        age = f"{span // 60} min"
    elif span < 86400:
        age = f"{span // 3600} h {span % 3600 // 60} min"
    else:
        days = span // 86400
        age = f"{days} day{'s' if days != 1 else ''}"
    local = f"{moment.astimezone():%Y-%m-%d %H:%M}"
    return f"{local} ({age} ago)" if seconds >= 0 else f"{local} (in {age})"


def job_detail(job: Job, now: datetime) -> str:
    """A short second column: how long it has run or waited, or the provider's detail."""
    if job.status_detail:
        return job.status_detail
    if job.state is JobState.RUNNING:
        return f"{job.node_count} nodes · {_age(job.started, now)}"
    if job.state.is_active:
        return f"waiting {_age(job.submitted, now)}"
    return f"ended {_age(job.ended, now)} ago" if job.ended else ""


def job_row(job: Job, now: datetime) -> JobRow:
    """The JobTable row for `job`."""
    return JobRow(
        key=job.key,
        name=inert(job.name),
        state=job.state.value,
        tone=_JOB_TONES.get(job.state, "muted"),
        detail=inert(job_detail(job, now)),
        group=inert(job.provider),
        usage=short_usage(job.usage),
    )


TASK_PAGE = 100
"""Tasks an expanded array shows at first, and how many more each `space` on its last row adds."""

_STATE_WORDS = {JobState.QUEUED: "pending"}


def more_key(group: ArrayGroup) -> str:
    """The key of the `… N more tasks` row of an expanded array."""
    return f"{group.key}:more"


def array_rows(group: ArrayGroup, now: datetime, shown: int | None) -> list[JobRow]:
    """The group's row, and with `shown` its first `shown` tasks (and a row for the rest)."""
    counts = " · ".join(
        f"{count:,} {_STATE_WORDS.get(state, state.value)}" for state, count in group.counts.items()
    )
    marker = "▾" if shown is not None else "▸"
    rows = [
        JobRow(
            key=group.key,
            name=inert(f"{marker} {group.name} [{group.array_id}] {group.total:,} tasks"),
            state=group.state.value,
            tone=_JOB_TONES.get(group.state, "muted"),
            detail=counts,
            group=inert(group.provider),
        )
    ]
    if shown is None:
        return rows
    tasks, hidden = group.tasks[:shown], group.tasks[shown:]
    for index, task in enumerate(tasks):
        row = job_row(task, now)
        branch = "└" if index == len(tasks) - 1 and not hidden else "├"  # a table strips spaces
        label = f"{branch} {task.array_id}_{task.array_task or task.id}"
        if task.task_count > 1:
            label += f" ({task.task_count:,} tasks)"
        rows.append(row._replace(name=inert(label)))
    if hidden:
        left = sum(task.task_count for task in hidden)
        rows.append(
            JobRow(
                key=more_key(group),
                name=f"└ … {left:,} more tasks",
                state="",
                detail=f"space: show {min(TASK_PAGE, len(hidden)):,} more",
                group=inert(group.provider),
            )
        )
    return rows


def item_rows(items: Sequence[Item], now: datetime, expanded: Mapping[str, int]) -> list[JobRow]:
    """Rows for jobs and array groups; `expanded` says how many tasks each open group shows."""
    rows: list[JobRow] = []
    for item in items:
        if isinstance(item, ArrayGroup):
            rows.extend(array_rows(item, now, expanded.get(item.key)))
        else:
            rows.append(job_row(item, now))
    return rows


def gib(kib: float) -> str:
    """`15.6` for a KiB count (one decimal of GiB)."""
    return f"{kib / 1024**2:.1f}"


def memory_text(sample: Sample) -> str:
    """`3.1/15.6G`: memory in use (total minus available) of the total."""
    return f"{gib(sample.mem_used_kib)}/{gib(sample.mem_total_kib)}G"


def gpu_text(sample: Sample) -> str:
    """`37% 1.0/16.0G` for one GPU; for several their mean use and memory, and `x4`."""
    gpus = sample.gpus
    if not gpus:
        return ""
    util = sum(g.util for g in gpus) / len(gpus)
    used = sum(g.mem_used for g in gpus) / 1024
    total = sum(g.mem_total for g in gpus) / 1024
    many = f" x{len(gpus)}" if len(gpus) > 1 else ""
    return f"{util:.0f}% {used:.1f}/{total:.1f}G{many}"


def metrics_note(problem: str) -> str:
    """A few words for the trend cell when a node has no metrics (`m` shows the whole reason)."""
    if not problem:
        return ""
    if "host key" in problem:
        return "key?"
    if "restarting" in problem:
        return "restart"
    return "no metrics"


def node_row(node: Node, history: History | None = None) -> NodeRow:
    """The NodeTable row for `node`, with its sampled metrics when there are some."""
    address = node.address if node.port else node.host
    last = history.last if history is not None else None
    return NodeRow(
        key=node.name,
        name=inert(node.name),
        role=inert(node.role),
        address=inert(address),
        state=node.state.value,
        tone=_NODE_TONES.get(node.state, "muted"),
        cores=last.cpus if last is not None else node.cores,
        load=last.load if last is not None else node.load,
        cpu=last.cpu if last is not None else None,
        cpu_trend=tuple(history.cpu_series()) if history is not None else (),
        memory=memory_text(last) if last is not None else "",
        gpu=gpu_text(last) if last is not None else "",
        note=metrics_note(history.problem) if history is not None else "",
    )


def key_file_row(key: KeyFile) -> KeyRow:
    """A key file as a row of the keys table."""
    info = key.public
    passphrase = "" if key.encrypted is None else ("yes" if key.encrypted else "no")
    return KeyRow(
        key=f"file:{key.path.name}",
        name=key.path.name,
        kind=f"{info.kind} {info.bits}" if info else "?",
        fingerprint="unusable: see below"
        if key.problem
        else (info.fingerprint[7:] if info else ""),
        comment=inert(info.comment) if info else "",
        passphrase=passphrase,
        permissions=f"{key.mode:o} {'ok' if key.permissions_safe else 'open'}",
        permissions_safe=key.permissions_safe,
        broken=bool(key.problem),
    )


def agent_key_row(index: int, info: PublicKeyInfo) -> KeyRow:
    """The agent's `index`-th key as a row of the keys table."""
    return KeyRow(
        key=f"agent:{index}",
        name="agent",
        kind=f"{info.kind} {info.bits}",
        fingerprint=info.fingerprint[7:],
        comment=inert(info.comment),
        passphrase="agent",
    )
