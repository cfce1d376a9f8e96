"""The inventory provider's config: clusters and nodes, checked field by field.

Connection fields (`user`, `port`, `key`, `jump`) may be given for the whole provider, for a
cluster or for a node; the nearest one wins. A node is a table (`{name = "gpu1", host = "..."}`)
or a string `"[user@]host[:port]"`. Every error names the cluster, the node and the field, and
carries a `trail` of what to look for in the config text so `config check` can point at the line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from tui.core.errors import ConfigError, SshError
from tui.core.models import SshTarget
from tui.core.ssh.resolve import parse_proxy_jump

CONNECTION_KEYS = ("user", "port", "key", "jump")
CLUSTER_KEYS = ("name", "nodes", "log_command", "log_node", *CONNECTION_KEYS)
NODE_KEYS = ("name", "host", "tags", *CONNECTION_KEYS)
_NO_SPACE = re.compile(r"^\S+$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


class InventoryError(ConfigError):
    """A bad inventory entry. `trail` leads `config check` to its line in the config text.

    Each step of the trail is a key (`"port"`), a `key="value"` pair or a quoted string; the
    line is found by searching for the steps one after the other.
    """

    def __init__(self, message: str, trail: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.trail = tuple(trail)
        self.errors: tuple[InventoryError, ...] = (self,)
        """Every problem found (one per entry), this one first."""

    @classmethod
    def combine(cls, errors: Sequence[InventoryError]) -> InventoryError:
        """One error standing for all of `errors` (its message is the first one's)."""
        if len(errors) == 1:
            return errors[0]
        more = len(errors) - 1
        note = (
            f" (and {more} more problem{'s' if more != 1 else ''}: see `clusterdeck config check`)"
        )
        combined = cls(errors[0].message + note, errors[0].trail)
        combined.errors = tuple(errors)
        return combined


@dataclass(frozen=True)
class HostSpec:
    """One node: how to reach it and how to show it."""

    name: str
    host: str
    port: int = 22
    user: str | None = None
    key: Path | None = None
    jump: SshTarget | None = None
    tags: tuple[str, ...] = ()
    alias: bool = False
    """A Host of the SSH config: connect by alias so the config applies as for `ssh alias`."""

    @property
    def role(self) -> str:
        """The first tag, else "node"."""
        return self.tags[0] if self.tags else "node"

    def target(self) -> SshTarget:
        """The SSH target for this node (the SSH pool applies `~/.ssh/config` on top)."""
        return SshTarget(self.host, self.port, self.user, self.key, self.jump)


@dataclass(frozen=True)
class ClusterSpec:
    """One cluster: its nodes and the command that shows its log."""

    name: str
    nodes: tuple[HostSpec, ...]
    log_command: str | None = None
    log_node: str | None = None
    """The node the log command runs on (default: the first)."""
    source: str = "inventory"

    @property
    def log_host(self) -> HostSpec:
        """The node `log_command` runs on."""
        return next((n for n in self.nodes if n.name == self.log_node), self.nodes[0])


class _Where:
    """Names an entry in messages (`cluster "lab", node "gpu1"`) and builds its trail."""

    def __init__(self, label: str, trail: tuple[str, ...]) -> None:
        self.label = label
        self.trail = trail

    def fail(self, key: str | None, problem: str, value: Any = None) -> NoReturn:
        """Raise `InventoryError` about `key` of this entry (or the entry itself)."""
        field = f"`{key}` " if key else ""
        got = f" (got {value!r})" if value is not None else ""
        trail = (*self.trail, key) if key else self.trail
        label = f"{self.label}: " if self.label else ""
        raise InventoryError(f"{label}{field}{problem}{got}", trail)


def _unknown_keys(entry: Mapping[str, Any], known: Sequence[str], where: _Where) -> None:
    for key in entry:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            where.fail(None, f"unknown key `{key}`; {hint}known keys: {', '.join(sorted(known))}")


def _string(entry: Mapping[str, Any], key: str, where: _Where, *, spaces: bool = True) -> Any:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        where.fail(key, "must be a non-empty string", value)
    if not spaces and not _NO_SPACE.match(value):
        where.fail(key, "must not contain spaces", value)
    return value


def _connection(
    entry: Mapping[str, Any], where: _Where, inherited: dict[str, Any]
) -> dict[str, Any]:
    """The connection fields of `entry` over `inherited` (port, user, key path, jump target)."""
    found = dict(inherited)
    if "port" in entry:
        port = entry["port"]
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            where.fail("port", "must be a whole number from 1 to 65535", port)
        found["port"] = port
    user = _string(entry, "user", where, spaces=False)
    if user is not None:
        if "@" in user:
            where.fail("user", "must be a user name without `@` (put the host in `host`)", user)
        found["user"] = user
    key = _string(entry, "key", where)
    if key is not None:
        path = Path(key).expanduser()
        if not path.is_file():
            where.fail(
                "key",
                f"{path} is not a file; fix the path or make a key with "
                f"`ssh-keygen -t ed25519 -f {key}`",
            )
        found["key"] = path
    jump = _string(entry, "jump", where, spaces=False)
    if jump is not None:
        try:
            found["jump"] = parse_proxy_jump(jump)
        except SshError:
            where.fail(
                "jump",
                'must be "[user@]host[:port]" (hops separated by commas), a Host alias of '
                '~/.ssh/config, or "none"',
                jump,
            )
    return found


def _host_string(text: str, where: _Where) -> tuple[str, dict[str, Any]]:
    """`[user@]host[:port]` -> (host, {user, port})."""
    if "," in text or not _NO_SPACE.match(text):
        where.fail(None, 'must be "[user@]host[:port]" (no spaces or commas) or a table')
    try:
        parsed = parse_proxy_jump(text)
    except SshError:
        parsed = None
    if parsed is None or not parsed.host or not 1 <= parsed.port <= 65535:
        where.fail(None, 'must be "[user@]host[:port]" with a port from 1 to 65535')
    fields: dict[str, Any] = {"port": parsed.port} if parsed.port != 22 or ":" in text else {}
    if parsed.user:
        fields["user"] = parsed.user
    return parsed.host, fields


def parse_node(raw: Any, index: int, cluster: _Where, inherited: dict[str, Any]) -> HostSpec:
    """One entry of a cluster's `nodes`."""
    if isinstance(raw, str):
        where = _Where(f'{cluster.label}, node "{raw}"', (*cluster.trail, "nodes", f'"{raw}"'))
        host, fields = _host_string(raw, where)
        conn = {**inherited, **fields}
        return HostSpec(host, host, **conn)
    if not isinstance(raw, dict):
        where = _Where(f"{cluster.label}, node #{index + 1}", (*cluster.trail, "nodes"))
        where.fail(None, 'must be a table like {name = "gpu1", host = "10.0.0.5"} or a string')
    name = raw.get("name", raw.get("host"))
    label = f'node "{name}"' if isinstance(name, str) else f"node #{index + 1}"
    step = f'name="{name}"' if "name" in raw else f'host="{name}"'
    trail = (*cluster.trail, "nodes", step) if isinstance(name, str) else (*cluster.trail, "nodes")
    where = _Where(f"{cluster.label}, {label}", trail)
    _unknown_keys(raw, NODE_KEYS, where)
    host = _string(raw, "host", where, spaces=False)
    if host is None:
        where.fail(None, 'needs `host = "..."` (a name, an address or a Host alias in ~/.ssh)')
    node_name = _string(raw, "name", where) or host
    if not _NAME.match(node_name):
        where.fail("name", "must be at most 64 printable characters", node_name)
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        where.fail("tags", 'must be a list of non-empty strings, e.g. ["gpu", "login"]', tags)
    conn = _connection(raw, where, inherited)
    return HostSpec(node_name, host, tags=tuple(tags), **conn)


def parse_cluster(
    raw: Any, index: int, inherited: dict[str, Any], errors: list[InventoryError]
) -> ClusterSpec:
    """One entry of `clusters`; its nodes' errors are added to `errors` (then it raises)."""
    if not isinstance(raw, dict):
        _Where(f"clusters #{index + 1}", ("clusters",)).fail(
            None, 'must be a table like {name = "lab", nodes = ["10.0.0.5"]}', raw
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        where = _Where(f"clusters #{index + 1}", ("clusters",))
        if "name" in raw:
            where.fail("name", "must be a non-empty string", name)
        where.fail(None, 'needs `name = "..."` (shown in the jobs pane)')
    where = _Where(f'cluster "{name}"', ("clusters", f'name="{name}"'))
    if not _NAME.match(name):
        where.fail("name", "must be at most 64 printable characters", name)
    _unknown_keys(raw, CLUSTER_KEYS, where)
    conn = _connection(raw, where, inherited)
    nodes_raw = raw.get("nodes")
    if "nodes" not in raw:
        where.fail(None, 'needs `nodes = [...]` (at least one node, e.g. ["10.0.0.5"])')
    if not isinstance(nodes_raw, list) or not nodes_raw:
        where.fail("nodes", 'must be a non-empty list, e.g. ["10.0.0.5", "ada@gpu2:2222"]')
    nodes: list[HostSpec] = []
    failed = len(errors)
    for number, entry in enumerate(nodes_raw):
        try:
            nodes.append(parse_node(entry, number, where, conn))
        except InventoryError as exc:
            errors.append(exc)
    if len(errors) > failed:
        raise errors.pop()
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            where.fail("nodes", f"has two nodes named {node.name!r}; give each its own `name`")
        seen.add(node.name)
    log_command = _string(raw, "log_command", where)
    log_node = _string(raw, "log_node", where)
    if log_node is not None and log_node not in seen:
        where.fail("log_node", f"must name one of its nodes: {', '.join(sorted(seen))}", log_node)
    if log_node is not None and log_command is None:
        where.fail("log_node", "is only used with `log_command`; add one or remove `log_node`")
    return ClusterSpec(name, tuple(nodes), log_command, log_node)


def parse_clusters(
    raw: Sequence[Any],
    inherited: dict[str, Any],
    log_command: str | None,
    errors: list[InventoryError],
) -> tuple[ClusterSpec, ...]:
    """Every good cluster of `clusters`; the problems of the others are added to `errors`.

    `inherited` comes from `check_defaults`; `log_command` is the provider-wide default.
    """
    clusters = []
    names: set[str] = set()
    for index, entry in enumerate(raw):
        try:
            cluster = parse_cluster(entry, index, inherited, errors)
        except InventoryError as exc:
            errors.append(exc)
            continue
        if cluster.name in names:
            step = f'name="{cluster.name}"'
            where = _Where(f'cluster "{cluster.name}"', ("clusters", step, step))
            try:
                where.fail(None, "is defined twice; give each cluster its own `name`")
            except InventoryError as exc:
                errors.append(exc)
                continue
        names.add(cluster.name)
        if cluster.log_command is None and log_command:
            cluster = ClusterSpec(cluster.name, cluster.nodes, log_command, cluster.log_node)
        clusters.append(cluster)
    return tuple(clusters)


def check_defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The provider-wide connection fields, checked (port, user, key path, jump target)."""
    return _connection(defaults, _Where("", ()), {})
