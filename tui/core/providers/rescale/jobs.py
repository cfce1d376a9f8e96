"""Rescale JSON (job list items, status histories, instances, job details) to clusterdeck models.

Pure functions: no I/O. Status texts are compared case-insensitively with `_` read as a space, so
both the display form ("Waiting for Cluster") and the filter form ("WAITING_FOR_CLUSTER") work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tui.core.models import Job, JobState, Node, NodeState

STATES: Mapping[str, JobState] = {
    "pending": JobState.QUEUED,
    "queued": JobState.QUEUED,
    "waiting for queue": JobState.QUEUED,
    "started": JobState.STARTING,
    "validated": JobState.STARTING,
    "waiting for cluster": JobState.STARTING,
    "executing": JobState.RUNNING,
    "stopping": JobState.STOPPING,
    "force stop": JobState.STOPPED,
    "completed": JobState.COMPLETED,
}
"""Rescale job statuses (reference 5.3); "Completed" is refined by its reason."""
MASTER_ROLE = "MPI_MASTER"
_NODE_STATES: Mapping[JobState, NodeState] = {
    JobState.QUEUED: NodeState.PENDING,
    JobState.STARTING: NodeState.STARTING,
    JobState.RUNNING: NodeState.RUNNING,
    JobState.STOPPING: NodeState.STOPPED,
}
_SSH_LINE = re.compile(
    r"(?P<user>[A-Za-z_][\w.-]*)@(?P<host>\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_SSH_PORT = re.compile(r"(?:\bport\b\s*[:=]?\s*|-p\s*)(?P<port>\d{1,5})\b", re.IGNORECASE)
_HOST_PORT = re.compile(r":(?P<port>\d{1,5})\b")


def status_key(text: object) -> str:
    """ "WAITING_FOR_CLUSTER" and "Waiting for Cluster" both become "waiting for cluster"."""
    return str(text or "").replace("_", " ").strip().lower()


def parse_date(raw: object) -> datetime | None:
    """An ISO-8601 date as Rescale sends it (with `Z` or an offset); None if absent or bad."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def newest_first(history: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Status entries sorted by `statusDate`, newest first (undated ones keep their order, last)."""
    entries = list(history)
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: parse_date(e.get("statusDate")) or oldest, reverse=True)


def _finished_state(history: Sequence[Mapping[str, Any]]) -> JobState:
    """COMPLETED, FAILED or STOPPED for a job whose newest status is Completed/Force Stop."""
    reasons = [
        status_key(e.get("statusReason"))
        for e in history
        if status_key(e.get("status")) in {"completed", "stopping", "force stop"}
    ]
    if status_key(history[0].get("status")) == "force stop" or any(
        "terminated" in r or "stopped by user" in r for r in reasons
    ):
        return JobState.STOPPED
    final = reasons[0] if reasons else ""
    if any("fail" in r for r in reasons) or (final and "success" not in final):
        return JobState.FAILED
    return JobState.COMPLETED


def job_state(status: str, history: Sequence[Mapping[str, Any]] = ()) -> JobState:
    """The state for a display status (refined by the newest-first `history` when given)."""
    state = STATES.get(status_key(status), JobState.UNKNOWN)
    if state in {JobState.COMPLETED, JobState.STOPPED} and history:
        return _finished_state(history)
    return state


def build_job(
    item: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    *,
    provider: str,
    node_count: int = 0,
) -> Job:
    """A `Job` from a job list item and (when fetched) its status history, newest first."""
    listed = item.get("jobStatus") if isinstance(item.get("jobStatus"), dict) else {}
    assert isinstance(listed, dict)
    cluster = item.get("clusterStatusDisplay")
    cluster_text = str(cluster.get("content") or "") if isinstance(cluster, dict) else ""
    if history:
        current = history[0]
        display = str(current.get("status") or "")
        reason = str(current.get("statusReason") or "")
    else:
        display = str(listed.get("content") or "")
        reason = str(listed.get("statusReason") or "")
    state = job_state(display, history or ())
    if state is JobState.FAILED and not reason:
        reason = next(
            (str(e.get("statusReason")) for e in history or () if e.get("statusReason")), ""
        )
    started = ended = None
    for entry in reversed(history or ()):
        key = status_key(entry.get("status"))
        if key == "executing" and started is None:
            started = parse_date(entry.get("statusDate"))
    if state.is_finished and history:
        ended = parse_date(history[0].get("statusDate"))
    return Job(
        id=str(item.get("id", "")),
        name=str(item.get("name") or item.get("id") or ""),
        state=state,
        provider=provider,
        owner=str(item.get("owner") or ""),
        submitted=parse_date(item.get("dateInserted")),
        started=started,
        ended=ended,
        node_count=node_count,
        status_detail=status_detail(display, reason, cluster_text, state),
    )


def status_detail(display: str, reason: str, cluster: str, state: JobState) -> str:
    """E.g. "Waiting for Cluster · cluster Starting · waiting for cluster"."""
    parts = [display or "not submitted"]
    if reason:
        parts.append(reason)
    if cluster:
        parts.append(f"cluster {cluster}")
    if state in {JobState.QUEUED, JobState.STARTING}:
        parts.append("waiting for cluster")
    return " · ".join(parts)


def build_nodes(
    job: Job, instances: Sequence[Mapping[str, Any]], *, default_port: int = 22
) -> list[Node]:
    """Nodes from `jobs/{id}/instances/` results: master (MPI_MASTER) first, then workers."""
    usable = [i for i in instances if i.get("publicIp")]
    usable.sort(key=lambda i: str(i.get("role") or "") != MASTER_ROLE)
    state = _NODE_STATES.get(job.state, NodeState.STOPPED)
    nodes = []
    masters = 0
    for index, inst in enumerate(usable):
        is_master = inst.get("role") == MASTER_ROLE or (index == 0 and len(usable) == 1)
        if is_master:  # a second MPI_MASTER gets a name of its own (rows are keyed by name)
            name = "master" if masters == 0 else f"master-{masters}"
            masters += 1
        else:
            name = f"worker-{index}"
        port = inst.get("sshPort")
        nodes.append(
            Node(
                job_id=job.id,
                name=name,
                role="master" if is_master else "worker",
                host=str(inst["publicIp"]),
                port=port if isinstance(port, int) and port > 0 else default_port,
                state=state,
                user=str(inst.get("username") or "") or None,
            )
        )
    return nodes


def node_from_log(job: Job, lines: Sequence[str]) -> Node | None:
    """A master node from the newest "SSH ... user@host (port N)" line the platform prints."""
    for line in reversed(lines):
        if "ssh" not in line.lower():
            continue
        found = _SSH_LINE.search(line)
        if found is None:
            continue
        port_match = _HOST_PORT.match(line, found.end()) or _SSH_PORT.search(line)
        port = int(port_match["port"]) if port_match else 22
        return Node(
            job_id=job.id,
            name="master",
            role="master",
            host=found["host"],
            port=port if 0 < port < 65536 else 22,
            state=_NODE_STATES.get(job.state, NodeState.UNKNOWN),
            user=found["user"],
        )
    return None


def job_details(detail: Mapping[str, Any], job: Job) -> dict[str, str]:
    """Labelled fields of `GET jobs/{id}/` for a detail view (only those the API returned)."""
    out: dict[str, str] = {"Job ID": job.id, "Name": str(detail.get("name") or job.name)}
    if detail.get("owner") or job.owner:
        out["Owner"] = str(detail.get("owner") or job.owner)
    out["Status"] = job.status_detail or job.state.value
    cidr = detail.get("cidrRule")
    if isinstance(cidr, str) and cidr:
        out["Access restriction (CIDR)"] = f"{cidr} (everywhere)" if cidr == "0.0.0.0/0" else cidr
    key = detail.get("publicKey")
    if isinstance(key, str) and key:
        out["SSH public key"] = key.strip()
    port = detail.get("sshPort")
    if isinstance(port, int):
        out["SSH port"] = str(port)
    analyses = detail.get("jobanalyses")
    if isinstance(analyses, list) and analyses and isinstance(analyses[0], dict):
        first = analyses[0]
        analysis = first.get("analysis") if isinstance(first.get("analysis"), dict) else {}
        assert isinstance(analysis, dict)
        name = analysis.get("name") or analysis.get("code")
        if name:
            version = analysis.get("versionName") or analysis.get("version") or ""
            out["Analysis"] = f"{name} {version}".strip()
        hardware = first.get("hardware") if isinstance(first.get("hardware"), dict) else {}
        assert isinstance(hardware, dict)
        core = hardware.get("coreType")
        core_name = core.get("code") if isinstance(core, dict) else core
        if core_name:
            cores = hardware.get("coresPerSlot")
            out["Hardware"] = f"{core_name}, {cores} cores per slot" if cores else str(core_name)
        if first.get("command"):
            out["Command"] = str(first["command"])
    if job.submitted is not None:
        out["Submitted"] = job.submitted.strftime("%Y-%m-%d %H:%M UTC")
    return out


def listed_status(item: Mapping[str, Any]) -> str:
    """The display status in a job list item ("" when never submitted)."""
    listed = item.get("jobStatus")
    return str(listed.get("content") or "") if isinstance(listed, dict) else ""
