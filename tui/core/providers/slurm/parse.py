"""The Slurm job and node models, `sinfo --json`, and the JSON value helpers sacct shares.

The provider polls squeue's text form (`squeue_text.py`) and asks sinfo and sacct (`sacct.py`)
for JSON; the job model here serves all three, the value helpers both JSON readers.

22.05 (openapi/v0.0.38): `job_state` is a string, numbers are plain (`null` = unset), node
`state` is a lowercase string plus `state_flags`. 23.x+ (data_parser v0.0.39 and later):
`job_state` and node `state` are lists of flags, numbers are `{"set", "infinite", "number"}`
objects, `exit_code` is `{"status", "return_code", "signal"}`, and from 23.11 `sinfo --json` lists
`sinfo` groups (`nodes.nodes`, `nodes.addresses`) instead of `nodes`.
"""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.core.errors import ProviderError, ProviderUnavailable
from tui.core.models import JobState, NodeState

SUPPORTED = "Slurm 21.08 to 25.x (squeue/sinfo --json)"

JOB_STATES: Mapping[str, JobState] = {
    "PENDING": JobState.QUEUED,
    "REQUEUED": JobState.QUEUED,
    "REQUEUE_HOLD": JobState.QUEUED,
    "REQUEUE_FED": JobState.QUEUED,
    "RESV_DEL_HOLD": JobState.QUEUED,
    "SPECIAL_EXIT": JobState.QUEUED,
    "CONFIGURING": JobState.STARTING,
    "POWER_UP_NODE": JobState.STARTING,
    "RUNNING": JobState.RUNNING,
    "SUSPENDED": JobState.RUNNING,
    "RESIZING": JobState.RUNNING,
    "SIGNALING": JobState.RUNNING,
    "STAGE_OUT": JobState.STOPPING,
    "COMPLETING": JobState.STOPPING,
    "STOPPED": JobState.STOPPING,
    "COMPLETED": JobState.COMPLETED,
    "FAILED": JobState.FAILED,
    "TIMEOUT": JobState.FAILED,
    "NODE_FAIL": JobState.FAILED,
    "BOOT_FAIL": JobState.FAILED,
    "DEADLINE": JobState.FAILED,
    "OUT_OF_MEMORY": JobState.FAILED,
    "CANCELLED": JobState.STOPPED,
    "PREEMPTED": JobState.STOPPED,
}
"""Slurm base job states (and flags that describe the job best) -> clusterdeck states."""

_DOWN_NODE = {"DOWN", "DRAIN", "DRAINED", "DRAINING", "FAIL", "FAILING", "NOT_RESPONDING"}


class SlurmFormatError(ProviderError):
    """Slurm printed JSON of a shape clusterdeck does not understand."""

    title = "Unknown Slurm output"


@dataclass(frozen=True)
class ExitStatus:
    """How a job ended: its exit code, or the signal that killed it."""

    code: int | None = None
    signal: int | None = None

    def describe(self) -> str:
        """`exit 3`, `killed by SIGKILL (9)`, or `` when it exited 0 or is unknown."""
        if self.signal:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            return f"killed by {name} ({self.signal})"
        if self.code:
            return f"exit {self.code}"
        return ""


@dataclass(frozen=True)
class SlurmJob:
    """The fields of one Slurm job (squeue's text form, or sacct) that clusterdeck uses."""

    job_id: str
    name: str
    user: str
    state: str
    """Slurm's base state, e.g. RUNNING (the first of 23.x's flag list)."""
    state_flags: tuple[str, ...] = ()
    reason: str = ""
    partition: str = ""
    nodes: tuple[str, ...] = ()
    hostlist: str = ""
    node_count: int = 0
    batch_host: str = ""
    submitted: datetime | None = None
    started: datetime | None = None
    ended: datetime | None = None
    time_limit: int | None = None
    """Minutes; None when unlimited or unknown."""
    exit: ExitStatus = field(default_factory=ExitStatus)
    workdir: str = ""
    stdout: str = ""
    """StdOut as Slurm reports it: "" (default), a pattern (`%j`...), or already expanded."""
    stderr: str = ""
    stdout_expanded: str = ""
    stderr_expanded: str = ""
    array_job_id: int | None = None
    array_task_id: int | None = None
    array_tasks: str = ""
    """The pending tasks a parent record stands for (`3-6%2`); "" for a single task."""
    cpus: int | None = None
    req_mem_mb: float | None = None
    """Requested memory of the whole job (squeue's `tres_req_str` mem), in MB."""

    @property
    def job_state(self) -> JobState:
        """The normalised state."""
        return JOB_STATES.get(self.state, JobState.UNKNOWN)


@dataclass(frozen=True)
class SlurmNode:
    """One node of `sinfo --json`."""

    name: str
    address: str
    hostname: str = ""
    state: str = ""
    """Lowercase base state: idle, mixed, allocated, down, ..."""
    flags: tuple[str, ...] = ()
    cpus: int | None = None
    load: float | None = None
    reason: str = ""

    @property
    def node_state(self) -> NodeState:
        """Down when Slurm says so (down, drained, not responding), else running."""
        if self.state.upper() in _DOWN_NODE or _DOWN_NODE.intersection(self.flags):
            return NodeState.DOWN
        if self.state.upper() in {"UNKNOWN", "FUTURE", ""}:
            return NodeState.UNKNOWN
        return NodeState.RUNNING


@dataclass(frozen=True)
class SlurmReply:
    """A parsed `sinfo --json` reply: the version that wrote it, and its nodes."""

    version: str
    nodes: tuple[SlurmNode, ...] = ()


# --- value helpers ---------------------------------------------------------------------------


def number(value: Any) -> int | None:
    """A Slurm number: plain (22.05) or `{"set", "infinite", "number"}` (23.x+); None if unset."""
    if isinstance(value, Mapping):
        if value.get("infinite") is True or value.get("set") is False:
            return None
        value = value.get("number")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def text(value: Any) -> str:
    """A string field; lists (23.x flags) joined with commas; None -> ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def timestamp(value: Any) -> datetime | None:
    """A Unix time (plain or wrapped); 0/unset -> None."""
    seconds = number(value)
    if not seconds or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def flags(value: Any) -> tuple[str, ...]:
    """A state: a string (22.05) or a list of flags (23.x+) -> upper-case tuple."""
    if isinstance(value, str):
        return (value.upper(),) if value else ()
    if isinstance(value, list):
        return tuple(str(v).upper() for v in value if v)
    return ()


def decode_exit(value: Any) -> ExitStatus:
    """Exit code and signal from a raw wait status (22.05: 768 = exit 3) or a 23.x+ object."""
    if isinstance(value, Mapping) and ("return_code" in value or "signal" in value):
        sig = value.get("signal")
        if isinstance(sig, Mapping):  # 22.05 sacct: `signal_id`; 23.x+: `id`
            sig_id = number(sig.get("id") if "id" in sig else sig.get("signal_id"))
        else:
            sig_id = number(sig)
        return ExitStatus(code=number(value.get("return_code")), signal=sig_id or None)
    raw = number(value)
    if raw is None:
        return ExitStatus()
    if raw & 0x7F:
        return ExitStatus(code=None, signal=raw & 0x7F)
    return ExitStatus(code=(raw >> 8) & 0xFF)


# --- documents -------------------------------------------------------------------------------


def _load(raw: str, command: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python goes
        start = raw.strip()[:200] or "(nothing)"
        raise SlurmFormatError(f"`{command}` did not print JSON; it printed: {start}") from None
    if not isinstance(doc, dict):
        raise SlurmFormatError(f"`{command}` printed JSON that is not an object")
    return doc


def version_of(doc: Mapping[str, Any]) -> str:
    """`22.05.8` from the `meta` block (22.05 `Slurm`, 23.x+ `slurm`), or "unknown"."""
    meta = doc.get("meta")
    if not isinstance(meta, Mapping):
        return "unknown"
    slurm = meta.get("Slurm") or meta.get("slurm")
    if isinstance(slurm, Mapping):
        release = slurm.get("release")
        if isinstance(release, str) and release:
            return release
        ver = slurm.get("version")
        if isinstance(ver, Mapping):
            parts = [number(ver.get(k)) for k in ("major", "minor", "micro")]
            return ".".join(str(p) for p in parts if p is not None) or "unknown"
    return "unknown"


def check_errors(doc: Mapping[str, Any], command: str) -> None:
    """Raise `ProviderUnavailable` when the reply's `errors` list is not empty.

    Slurm exits 0 with `"errors": [...]` and an empty list when slurmctld is down, so an empty
    list must not be taken for "no jobs".
    """
    errors = doc.get("errors")
    if not errors or not isinstance(errors, list):
        return
    parts = []
    for err in errors:
        if isinstance(err, Mapping):
            words = [text(err.get(k)) for k in ("description", "error", "source")]
            parts.append(": ".join(dict.fromkeys(w for w in words if w)) or "error")
        else:
            parts.append(text(err))
    raise ProviderUnavailable(
        f"`{command}` reported: {'; '.join(parts)} — the Slurm controller (slurmctld) may be "
        "down or unreachable from the login host; try `scontrol ping` there",
        title="Slurm controller unavailable",
    )


def _unknown(doc: Mapping[str, Any], command: str, missing: str) -> SlurmFormatError:
    version = version_of(doc)
    keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
    return SlurmFormatError(
        f"`{command}` from Slurm {version} has no {missing} (top-level keys: {keys}); "
        f"clusterdeck understands {SUPPORTED}"
    )


_MEM_UNITS = {"K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0**2}


def tres_mem_mb(tres: str) -> float | None:
    """The `mem=` of a TRES string (`cpu=2,mem=2000M,node=2`) in MB; None when absent."""
    for part in tres.split(","):
        key, _, value = part.partition("=")
        if key == "mem" and value:
            unit = value[-1] if value[-1] in _MEM_UNITS else "M"
            try:
                return float(value.rstrip("KMGT")) * _MEM_UNITS[unit]
            except ValueError:
                return None
    return None


def hostlist_of(value: Any) -> str:
    """A job's nodes: a hostlist string, or (newer shapes) an object with `range`/`list`."""
    if isinstance(value, Mapping):
        listed = value.get("list")
        if isinstance(listed, list):
            listed = ",".join(str(v) for v in listed)
        return text(value.get("range")) or text(listed)
    return text(value)


def _node_22(item: Mapping[str, Any]) -> SlurmNode:
    states = flags(item.get("state"))
    load = number(item.get("cpu_load"))
    return SlurmNode(
        name=text(item.get("name")),
        address=text(item.get("address")) or text(item.get("name")),
        hostname=text(item.get("hostname")),
        state=states[0].lower() if states else "",
        flags=states[1:] + flags(item.get("state_flags")),
        cpus=number(item.get("cpus")),
        load=load / 100 if load is not None else None,
        reason=text(item.get("reason")),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _nodes_23_11(group: Mapping[str, Any]) -> list[SlurmNode]:
    """One `sinfo` group (23.11+): several nodes sharing a state, addresses index-aligned."""
    members = _mapping(group.get("nodes"))
    lists = [members.get(key) for key in ("nodes", "addresses", "hostnames")]  # or not lists
    names, addresses, hostnames = (
        [text(v) for v in x] if isinstance(x, list) else [] for x in lists
    )
    states = flags(_mapping(group.get("node")).get("state"))
    cpus = _mapping(group.get("cpus"))
    raw_load = number(_mapping(cpus.get("load")).get("maximum"))
    found = []
    for index, name in enumerate(names):
        found.append(
            SlurmNode(
                name=name,
                address=(addresses[index] if index < len(addresses) else "") or name,
                hostname=hostnames[index] if index < len(hostnames) else "",
                state=states[0].lower() if states else "",
                flags=states[1:],
                cpus=number(cpus.get("maximum")) if len(names) == 1 else None,
                load=raw_load / 100 if raw_load is not None and len(names) == 1 else None,
                reason=text(group.get("reason")),
            )
        )
    return found


def parse_sinfo(raw: str, command: str = "sinfo --json") -> SlurmReply:
    """Parse `sinfo --json` (or `scontrol show nodes --json`): `nodes` or 23.11+ `sinfo` groups."""
    doc = _load(raw, command)
    check_errors(doc, command)
    nodes: list[SlurmNode] = []
    if isinstance(doc.get("nodes"), list):
        nodes = [_node_22(item) for item in doc["nodes"] if isinstance(item, Mapping)]
    elif isinstance(doc.get("sinfo"), list):
        for group in doc["sinfo"]:
            if isinstance(group, Mapping):
                nodes.extend(_nodes_23_11(group))
    else:
        raise _unknown(doc, command, "`nodes` or `sinfo` list")
    unique = {node.name: node for node in nodes if node.name}
    return SlurmReply(version=version_of(doc), nodes=tuple(unique.values()))
