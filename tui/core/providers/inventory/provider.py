"""The inventory provider: clusters and nodes written in the config, and `~/.ssh/config` hosts.

Each cluster is shown as a running "job" whose nodes can be browsed and opened in a shell; every
single-host `Host` of the SSH config (with `Include`) can be added as a cluster of one. Nodes are
not logged in to until asked; a quick TCP connect (`probe`) shows whether their SSH port answers.
There are no jobs or logs unless a cluster has a `log_command`: its output over SSH is the log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from pathlib import Path
from typing import Any, ClassVar

from tui.core.clock import Clock, SystemClock
from tui.core.errors import ConfigError, ProviderError
from tui.core.models import Job, JobState, LogBatch, Node, NodeState, SshTarget
from tui.core.providers.base import Capability, Option, ProviderContext
from tui.core.providers.inventory.log import HISTORY, MARK, run_log_command
from tui.core.providers.inventory.options import (
    CONNECTION_KEYS,
    ClusterSpec,
    HostSpec,
    InventoryError,
    check_defaults,
    parse_clusters,
)
from tui.core.providers.inventory.sshconfig import (
    ResolvedHost,
    SshConfigError,
    list_hosts,
    resolve_alias,
    user_ssh_config,
)
from tui.core.providers.ssh_based import SshBasedProvider
from tui.core.ssh.pool import SshPool

PROBE_TTL = 15.0
"""Seconds a TCP probe result is reused before the port is tried again."""
NO_LOG = (
    f"{MARK}no log: add `log_command` to this cluster in the config "
    '(for example "journalctl -f -n 100" or "tail -F /var/log/syslog")'
)


class InventoryProvider(SshBasedProvider):
    """Clusters from the config file and hosts from the SSH config; no scheduler behind them."""

    name = "inventory"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "clusters": Option(
            list,
            help='clusters like {name = "lab", nodes = [{name = "gpu1", host = "10.0.0.5"}]} '
            "(nodes take name, host, port, user, key, jump, tags; clusters take name, nodes, "
            "log_command, log_node, user, port, key, jump)",
        ),
        "ssh_config": Option(
            (bool, str),
            help="true: every Host of ~/.ssh/config (with Include) as a cluster of one; "
            "or the path of another SSH config file",
        ),
        "user": Option(str, help="login user for every node that sets none"),
        "port": Option(int, help="SSH port for every node that sets none (default 22)"),
        "key": Option(str, help="private key file for every node that sets none"),
        "jump": Option(str, help='jump host for every node that sets none: "[user@]host[:port]"'),
        "log_command": Option(
            str, help='log command for every cluster that sets none, e.g. "journalctl -f -n 100"'
        ),
        "probe": Option(bool, help="see if each node's SSH server answers (default true)"),
        "probe_timeout": Option(
            (int, float), help="seconds a TCP probe may take, 0.1 to 10 (default 1)"
        ),
    }

    def __init__(
        self,
        name: str = "inventory",
        clusters: tuple[ClusterSpec, ...] = (),
        *,
        ssh_config: Path | None = None,
        ssh_config_required: bool = True,
        log_command: str | None = None,
        probe: bool = True,
        probe_timeout: float = 1.0,
        pool: SshPool | None = None,
        known_hosts_path: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not clusters and ssh_config is None:
            raise InventoryError(
                "has no clusters: add `clusters = [...]` or `ssh_config = true`", ("type",)
            )
        if not 0.1 <= probe_timeout <= 10:
            raise InventoryError("`probe_timeout` must be from 0.1 to 10", ("probe_timeout",))
        super().__init__(pool, known_hosts_path)
        self.name = name
        self.clusters = clusters
        self.ssh_config = ssh_config
        self._ssh_config_required = ssh_config_required
        self.log_command = log_command
        self.probe = probe
        self.probe_timeout = float(probe_timeout)
        self._clock: Clock = clock or SystemClock()
        self._hosts: tuple[ClusterSpec, ...] = self._read_ssh_config()
        self._resolved: dict[str, ResolvedHost] = {}
        self._probes: dict[tuple[str, int], tuple[float, bool]] = {}
        self._history: dict[str, deque[str]] = {}
        has_log = log_command is not None or any(c.log_command for c in clusters)
        self.capabilities = frozenset(
            {Capability.JOBS, Capability.SHELL, Capability.TUNNELS}
            | ({Capability.LOGS} if has_log else set())
        )

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> InventoryProvider:
        """Build from a `[providers.NAME]` section with `type = "inventory"`.

        Raises:
            InventoryError: an entry or field is wrong (the message names cluster, node, field).
            SshConfigError: the SSH config (or a file it includes) cannot be read.
        """
        errors: list[InventoryError] = []
        try:
            defaults = check_defaults({k: options[k] for k in CONNECTION_KEYS if k in options})
        except InventoryError as exc:
            errors.append(exc)
            defaults = {}
        log_command = options.get("log_command")
        if log_command is not None and not str(log_command).strip():
            errors.append(InventoryError("`log_command` must not be empty", ("log_command",)))
            log_command = None
        clusters = parse_clusters(options.get("clusters", []), defaults, log_command, errors)
        ssh_config = options.get("ssh_config", False)
        path: Path | None = None
        if ssh_config is True:
            path = user_ssh_config()
        elif isinstance(ssh_config, str):
            if ssh_config.strip():
                path = Path(ssh_config).expanduser()
            else:
                errors.append(
                    InventoryError("`ssh_config` must be true, false or a path", ("ssh_config",))
                )
        if errors:
            raise InventoryError.combine(errors)
        return cls(
            context.name or "inventory",
            clusters,
            ssh_config=path,
            ssh_config_required=isinstance(ssh_config, str),
            log_command=log_command,
            probe=bool(options.get("probe", True)),
            probe_timeout=float(options.get("probe_timeout", 1.0)),
            pool=context.pool,
            known_hosts_path=context.known_hosts_path,
            clock=context.clock,
        )

    def banner(self) -> str:
        count = len(self.clusters)
        parts = [f"{count} cluster{'s' if count != 1 else ''}"] if count else []
        if self.ssh_config is not None:
            parts.append(f"{len(self._hosts)} hosts from {_short(self.ssh_config)}")
        return f"inventory: {', '.join(parts)}"

    # --- jobs (clusters) and nodes ------------------------------------------------------------

    async def start(self) -> None:
        """Re-read the SSH config (it may have changed since the provider was made)."""
        self._hosts = await asyncio.to_thread(self._read_ssh_config)

    async def list_jobs(self) -> list[Job]:
        """Every cluster as a running job: configured ones first, then SSH config hosts."""
        if self.ssh_config is not None:
            try:
                self._hosts = await asyncio.to_thread(self._read_ssh_config)
            except ConfigError as exc:
                raise ProviderError(exc.message, title="SSH config unreadable") from exc
        return [self._job(c) for c in self.all_clusters()]

    def all_clusters(self) -> tuple[ClusterSpec, ...]:
        """Configured clusters, then one per SSH config host (not already a cluster's name)."""
        names = {c.name for c in self.clusters}
        return self.clusters + tuple(h for h in self._hosts if h.name not in names)

    async def list_nodes(self, job: Job) -> list[Node]:
        """The cluster's nodes; running/down is what a probe of the SSH port found."""
        cluster = self._cluster(job.id)
        return list(await asyncio.gather(*(self._node(cluster, n) for n in cluster.nodes)))

    def ssh_target(self, node: Node) -> SshTarget:
        """How to reach `node`: its host, port, user, key and jump host (`~/.ssh/config` too)."""
        spec = self._spec(node.job_id, node.name)
        if spec.alias and self.ssh_config != user_ssh_config():
            resolved = self._resolved.get(spec.host)
            if resolved is not None:
                return resolved.target()  # a config file the SSH pool does not read
        return spec.target()

    # --- logs ---------------------------------------------------------------------------------

    async def stream_log(self, job: Job, *, offset: int = 0) -> AsyncGenerator[LogBatch, None]:
        """The output of the cluster's `log_command`; one explaining line when it has none."""
        cluster = self._cluster(job.id)
        if cluster.log_command is None:
            done = offset >= 1
            yield LogBatch(job.id, () if done else (NO_LOG,), max(offset, 1), finished=True)
            return
        history = self._history.setdefault(job.id, deque(maxlen=HISTORY))
        host = cluster.log_host
        target = self.ssh_target(self._bare_node(cluster, host))
        stream = run_log_command(self.pool, target, cluster.log_command, job.id, offset, history)
        async with aclosing(stream) as batches:
            async for batch in batches:
                yield batch

    # --- internals ----------------------------------------------------------------------------

    def _read_ssh_config(self) -> tuple[ClusterSpec, ...]:
        if self.ssh_config is None:
            return ()
        hosts = list_hosts(self.ssh_config, required=self._ssh_config_required)
        source = _short(self.ssh_config)
        return tuple(
            ClusterSpec(
                h.alias,
                (HostSpec(h.alias, h.alias, alias=True),),
                self.log_command,
                source=source,
            )
            for h in hosts
        )

    def _job(self, cluster: ClusterSpec) -> Job:
        count = len(cluster.nodes)
        detail = f"{count} node{'s' if count != 1 else ''} · {cluster.source}"
        return Job(
            id=cluster.name,
            name=cluster.name,
            state=JobState.RUNNING,
            provider=self.name,
            node_count=count,
            status_detail=detail,
        )

    def _cluster(self, job_id: str) -> ClusterSpec:
        for cluster in self.all_clusters():
            if cluster.name == job_id:
                return cluster
        raise ProviderError(f"cluster {job_id!r} is no longer in the inventory", title="Gone")

    def _spec(self, cluster_name: str, node_name: str) -> HostSpec:
        cluster = self._cluster(cluster_name)
        for spec in cluster.nodes:
            if spec.name == node_name:
                return spec
        raise ProviderError(f"node {node_name!r} is no longer in cluster {cluster_name!r}")

    def _bare_node(self, cluster: ClusterSpec, spec: HostSpec) -> Node:
        return Node(cluster.name, spec.name, spec.role, spec.host, spec.port, NodeState.UNKNOWN)

    async def _node(self, cluster: ClusterSpec, spec: HostSpec) -> Node:
        host, port, user, direct = spec.host, spec.port, spec.user, spec.jump is None
        if spec.alias:
            try:
                resolved = await resolve_alias(spec.host, await _existing(self.ssh_config))
            except SshConfigError as exc:
                raise ProviderError(exc.message, title="SSH config error") from exc
            self._resolved[spec.host] = resolved
            host, port, user = resolved.host, resolved.port, resolved.user
            direct = not resolved.proxied
        state = NodeState.UNKNOWN
        if self.probe and direct:
            state = NodeState.RUNNING if await self._reachable(host, port) else NodeState.DOWN
        return Node(cluster.name, spec.name, spec.role, host, port, state, user=user)

    async def _reachable(self, host: str, port: int) -> bool:
        """Whether an SSH server answers at host:port within `probe_timeout` (cached).

        A TCP connect alone can succeed through a proxy or firewall; the server's `SSH-` greeting
        is what counts. Nothing is sent, so no login is attempted.
        """
        now = self._clock.monotonic()
        cached = self._probes.get((host, port))
        if cached is not None and now - cached[0] < PROBE_TTL:
            return cached[1]
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(self.probe_timeout):
                reader, writer = await asyncio.open_connection(host, port)
                ok = (await reader.read(4)) == b"SSH-"
        except (OSError, TimeoutError):
            ok = False
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        self._probes[(host, port)] = (self._clock.monotonic(), ok)
        return ok


async def _existing(path: Path | None) -> Path | None:
    """`path` when it is a file, else None (no SSH config to apply)."""
    if path is None:
        return None
    return path if await asyncio.to_thread(path.is_file) else None


def _short(path: Path) -> str:
    """`~/...` for paths under the home directory."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)
