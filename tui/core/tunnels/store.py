"""Where saved tunnels live (`state_dir/tunnels.json`, mode 0600), and how a node is found again.

The file holds, per job key (`provider:job_id`), the tunnels the user had open for that job:

    {"version": 1, "jobs": {"demo:4207": [{"node": "master-0", "remote_port": 8888, ...}]}}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from tui.core.errors import ProviderError, StateDirError, TunnelError
from tui.core.files import write_private_file
from tui.core.models import SshTarget
from tui.core.providers.base import Provider
from tui.core.tunnels.model import TunnelKind, TunnelSpec
from tui.core.tunnels.specjson import spec_from_json, spec_to_json

VERSION = 1
FILE_NAME = "tunnels.json"

log = logging.getLogger(__name__)

TargetResolver = Callable[[TunnelSpec], Awaitable[SshTarget]]
"""Finds the SSH target of a spec's node (by job key and node name)."""

Respec = Callable[[TunnelSpec], Awaitable[TunnelSpec | str]]
"""Re-resolves a restored spec: the spec to open now, or why it is dropped."""

Saved = dict[str, list[tuple[TunnelSpec, int]]]
"""Job key -> [(spec, last bound local port)]."""


def load(path: Path) -> Saved:
    """The saved tunnels; an absent file is empty, a broken one is reported and ignored.

    Raises:
        StateDirError: when the file exists but cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StateDirError(f"cannot read saved tunnels {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        log.warning("ignoring broken %s: %s", path, exc)
        return {}
    jobs = data.get("jobs") if isinstance(data, dict) else None
    saved: Saved = {}
    if not isinstance(jobs, dict):
        return saved
    for job_key, entries in jobs.items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            try:
                saved.setdefault(str(job_key), []).append(spec_from_json(entry))
            except TunnelError as exc:
                log.warning("ignoring a saved tunnel of %s: %s", job_key, exc)
    return saved


def save(path: Path, saved: Saved) -> None:
    """Write `saved` atomically, readable by the user only.

    Raises:
        StateDirError: when the state dir is not writable.
    """
    jobs = {
        key: [spec_to_json(spec, bound_port=port) for spec, port in entries]
        for key, entries in sorted(saved.items())
        if entries
    }
    data = json.dumps({"version": VERSION, "jobs": jobs}, indent=1, sort_keys=True) + "\n"
    write_private_file(path, data.encode())


def provider_resolver(provider: Provider) -> TargetResolver:
    """A resolver asking `provider` for the job, its node by name, and the node's SSH target."""

    async def resolve(spec: TunnelSpec) -> SshTarget:
        if spec.job_key is None:
            if spec.target is None:
                raise TunnelError(f"tunnel {spec.label} has neither a job nor an SSH target")
            return spec.target
        jobs = {job.key: job for job in await provider.list_jobs()}
        job = jobs.get(spec.job_key)
        if job is None:
            raise ProviderError(f"job {spec.job_name or spec.job_key} is no longer listed")
        nodes = await provider.list_nodes(job)
        for node in nodes:
            if node.name == spec.node:
                return provider.ssh_target(node)
        raise ProviderError(f"job {job.name} has no node {spec.node!r} (any more)")

    return resolve


def provider_respec(provider: Provider) -> Respec:
    """Asks `provider` where a restored tunnel points now (`Provider.restored_port`)."""

    async def respec(spec: TunnelSpec) -> TunnelSpec | str:
        if spec.job_key is None or spec.kind is TunnelKind.SOCKS:
            return spec
        job = {job.key: job for job in await provider.list_jobs()}.get(spec.job_key)
        if job is None:
            return spec  # the resolver says why when it connects
        port = await provider.restored_port(job, spec.node, spec.name, spec.remote_port)
        if port is None:
            return (
                f"not restored: {spec.remote} on {spec.node} was from an earlier run and its "
                f"port is not known now; open it again (from the log or with `a`)"
            )
        return replace(spec, remote_port=port)

    return respec
