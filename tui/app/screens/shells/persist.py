"""Persistent shells in the app: which mode a node gets, the ledger of sessions, restoring them.

The ledger (`state_dir/sessions.json`, 0600) remembers on which nodes clusterdeck left tmux
sessions, per job key. It only says where to look: what is offered for restoring is what
`tmux list-sessions` on those nodes reports (sessions carrying clusterdeck's marker, made for
that job), so a session that died is not offered and one opened by another clusterdeck is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.core.config.settings import Settings
from tui.core.errors import ClusterdeckError
from tui.core.files import write_private_file
from tui.core.models import Job, Node
from tui.core.providers.base import Provider
from tui.core.ssh.persistent import PersistMode, RemoteSession, RemoteSessions, safe_value

FILE_NAME = "sessions.json"
PROBES_AT_ONCE = 8
"""Nodes listed at the same time while looking for sessions to restore."""
PROBE_SECONDS = 8.0

log = logging.getLogger(__name__)


def persist_mode(settings: Settings, job: Job, node: str) -> PersistMode:
    """The `persistent` setting of the job's provider section for `node` (default auto; the
    built-in demo, shown without providers: `[demo] persistent`, default off)."""
    sections = settings.providers
    if not sections:
        return settings.demo.persistent
    section = next((p for p in sections if p.name == job.provider), None)
    if section is None and len(sections) == 1:
        section = sections[0]
    return section.persist_mode(node) if section is not None else "auto"


def belongs(session: RemoteSession, job: Job) -> bool:
    """`session` is clusterdeck's and was made for `job`."""
    return session.ours and session.job == safe_value(job.key)


class SessionLedger:
    """Job key -> {node name: [session names]} left on the nodes, in `sessions.json`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME
        self.jobs: dict[str, dict[str, list[str]]] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.jobs = {
                str(job): {str(n): [str(s) for s in names] for n, names in nodes.items()}
                for job, nodes in data.get("jobs", {}).items()
            }

    def add(self, job_key: str, node: str, name: str) -> None:
        """Remember session `name` on `node` of `job_key`."""
        names = self.jobs.setdefault(job_key, {}).setdefault(node, [])
        if name not in names:
            names.append(name)
            self._save()

    def remove(self, job_key: str, node: str, name: str) -> None:
        """Forget session `name` (it was ended)."""
        names = self.jobs.get(job_key, {}).get(node, [])
        if name in names:
            names.remove(name)
            self._save()

    def retain(self, job_keys: Iterable[str]) -> None:
        """Keep only the jobs in `job_keys` (the ones still running)."""
        keep = set(job_keys)
        if set(self.jobs) - keep:
            self.jobs = {k: v for k, v in self.jobs.items() if k in keep}
            self._save()

    def _save(self) -> None:
        try:
            text = json.dumps({"version": 1, "jobs": self.jobs}, indent=1)
            write_private_file(self.path, text.encode())
        except (OSError, ClusterdeckError) as exc:
            log.warning("cannot save %s: %s", self.path, exc)


@dataclass(frozen=True)
class Restorable:
    """A live session of a running job, found on its node."""

    job: Job
    node: Node
    session: RemoteSession


async def find_restorable(
    provider: Provider,
    sessions: Callable[[Job, Node], RemoteSessions],
    ledger: SessionLedger,
    jobs: Sequence[Job],
    *,
    open_names: Iterable[str] = (),
) -> list[Restorable]:
    """The sessions still alive on the ledger's nodes of the running `jobs`, not open in a tab.

    `sessions` gives the node's lister (tmux or screen, by its `persistent` setting). Nodes
    that cannot be reached are skipped (their sessions may show up later).
    """
    skip = set(open_names)
    wanted: list[tuple[Job, Node]] = []
    for job in jobs:
        nodes_of_job = ledger.jobs.get(job.key)
        if not job.state.is_active or not nodes_of_job:
            continue
        try:
            nodes = await provider.list_nodes(job)
        except ClusterdeckError as exc:
            log.info("sessions of %s not listed: %s", job.key, exc)
            continue
        wanted += [(job, node) for node in nodes if node.name in nodes_of_job]
    limit = asyncio.Semaphore(PROBES_AT_ONCE)

    async def probe(job: Job, node: Node) -> list[Restorable]:
        async with limit:
            try:
                async with asyncio.timeout(PROBE_SECONDS):
                    listed = await sessions(job, node).ours(provider.ssh_target(node))
            except (ClusterdeckError, TimeoutError) as exc:
                log.info("sessions on %s not listed: %s", node.name, exc)
                return []
        return [
            Restorable(job, node, s)
            for s in listed
            if belongs(s, job) and s.node == safe_value(node.name) and s.name not in skip
        ]

    found = await asyncio.gather(*(probe(job, node) for job, node in wanted))
    return [item for items in found for item in items]
