"""Apply `~/.ssh/config` to an `SshTarget` as OpenSSH would, explicit target values winning."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from tui.core.errors import SshError
from tui.core.models import SshTarget
from tui.core.ssh.diagnose import TOO_MANY_FILES, too_many_files

DEFAULT_PORT = 22
MAX_INCLUDE_DEPTH = 16
"""OpenSSH's limit on nested `Include` (READCONF_MAX_DEPTH)."""


def default_config_paths() -> list[Path]:
    """The user's `~/.ssh/config` when it exists (looked up now: HOME may change in tests)."""
    path = Path("~/.ssh/config").expanduser()
    return [path] if path.is_file() else []


@dataclass(frozen=True)
class ResolvedTarget:
    """Where and as whom to connect once the SSH config has been applied."""

    target: SshTarget
    host: str
    """The address to reach (config `HostName` applied)."""
    port: int
    user: str
    host_key_name: str
    """The name to look up in known_hosts (config `HostKeyAlias`, else `host`)."""
    identity_files: tuple[Path, ...]
    """`IdentityFile` entries from the config (not the target's own key)."""
    identities_only: bool
    jump: SshTarget | None
    """The explicit jump host, else one built from config `ProxyJump`."""
    config_ciphers: bool
    """True when the config sets `Ciphers` (then our cipher preference is not forced)."""
    config_paths: tuple[Path, ...]

    @property
    def label(self) -> str:
        """`user@host:port` for messages."""
        return f"{self.user}@{self.host}:{self.port}"


def parse_proxy_jump(value: str) -> SshTarget | None:
    """Turn a ProxyJump value (`[user@]host[:port][,...]`) into a chain of jump targets.

    The first host listed is the outermost hop. `none` means no jump.
    """
    hops = [hop.strip() for hop in value.split(",") if hop.strip()]
    if not hops or hops[0].lower() == "none":
        return None
    chain: SshTarget | None = None
    for hop in hops:
        text = hop.removeprefix("ssh://")
        user: str | None = None
        if "@" in text:
            user, text = text.rsplit("@", 1)
        port = DEFAULT_PORT
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest.startswith(":"):
                port = _port(rest[1:], value)
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = _port(port_text, value)
        else:
            host = text
        chain = SshTarget(host=host, port=port, user=user or None, jump=chain)
    return chain


def _expand_paths(values: object) -> tuple[Path, ...]:
    if not isinstance(values, list | tuple):
        return ()
    return tuple(Path(str(value)).expanduser() for value in values)


def _port(text: str, value: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SshError(f"ProxyJump {value!r} in the SSH config has a bad port {text!r}") from None


def _includes(path: Path) -> list[Path]:
    """The files an SSH config file includes, in order (relative names are under ~/.ssh)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found: list[Path] = []
    for raw in lines:
        text = raw.strip().replace("=", " ", 1)
        keyword, _, rest = text.partition(" ")
        if keyword.lower() != "include":
            continue
        try:
            patterns = shlex.split(rest, comments=True)
        except ValueError:
            continue
        for pattern in patterns:
            full = Path(pattern).expanduser()
            if not full.is_absolute():
                full = Path("~/.ssh").expanduser() / full
            base = Path(full.anchor)
            found.extend(sorted(p for p in base.glob(str(full.relative_to(base))) if p.is_file()))
    return found


def check_includes(config_paths: Sequence[Path]) -> None:
    """Refuse an `Include` loop (or nesting deeper than OpenSSH allows) with a clear message.

    Raises:
        SshError: naming the chain of files.
    """

    def walk(path: Path, chain: tuple[Path, ...]) -> None:
        if path in chain:
            names = " -> ".join(str(p) for p in (*chain[chain.index(path) :], path))
            raise SshError(
                f"the SSH config has an Include loop: {names}. Remove one of these Include lines.",
                title="SSH config error",
            )
        if len(chain) >= MAX_INCLUDE_DEPTH:
            raise SshError(
                f"the SSH config nests Include deeper than {MAX_INCLUDE_DEPTH} files (at {path})",
                title="SSH config error",
            )
        for child in _includes(path):
            walk(child, (*chain, path))

    for path in config_paths:
        walk(path, ())


async def resolve_target(target: SshTarget, config_paths: Sequence[Path]) -> ResolvedTarget:
    """Read the SSH config for `target` (asyncssh's parser, so `Match`/`Include` work).

    A target port of 22 counts as "not given", so a config `Port` applies, as for `ssh host`.
    """
    check_includes(config_paths)
    try:
        options = await asyncssh.SSHClientConnectionOptions.construct(
            config=[str(p) for p in config_paths] if config_paths else None,
            host=target.host,
            port=target.port if target.port != DEFAULT_PORT else (),
            username=target.user if target.user else (),
            client_keys=None,
            known_hosts=None,
        )
    except (OSError, ValueError, RecursionError) as exc:
        if too_many_files(exc):  # asyncssh's "Unknown local username" is often this
            raise SshError(f"cannot connect to {target}: {TOO_MANY_FILES}") from exc
        where = ", ".join(str(p) for p in config_paths) or "the SSH config"
        raise SshError(f"cannot use {where} for {target}: {exc}") from exc
    config = options.config
    files = _expand_paths(config.get("IdentityFile", ()))
    jump = target.jump
    if jump is None:
        proxy = config.get("ProxyJump")
        if isinstance(proxy, str):
            jump = parse_proxy_jump(proxy)
    host = str(options.host)
    return ResolvedTarget(
        target=target,
        host=host,
        port=int(options.port),
        user=str(options.username),
        host_key_name=str(options.host_key_alias or host),
        identity_files=files,
        identities_only=bool(config.get("IdentitiesOnly", False)),
        jump=jump,
        config_ciphers=bool(config.get("Ciphers")),
        config_paths=tuple(config_paths),
    )


@dataclass(frozen=True)
class HostConfig:
    """What an SSH config says about one `Host` alias (nothing else applied)."""

    host: str
    """`HostName`, else the alias itself."""
    port: int
    user: str
    identity_files: tuple[Path, ...]
    proxy_jump: str | None
    proxy_command: str | None


async def read_host_config(alias: str, config: Path | None) -> HostConfig:
    """Apply `config` (None: no config file) to `alias` as `ssh alias` would (`Match` too).

    Raises:
        SshError: the config cannot be read or parsed for this alias.
    """
    try:
        options = await asyncssh.SSHClientConnectionOptions.construct(
            config=[str(config)] if config is not None else None,
            host=alias,
            client_keys=None,
            known_hosts=None,
        )
    except (OSError, ValueError, RecursionError) as exc:
        raise SshError(f"cannot apply the SSH config {config} to {alias!r}: {exc}") from exc
    values = options.config
    proxy, command = values.get("ProxyJump"), values.get("ProxyCommand")
    return HostConfig(
        host=str(options.host),
        port=int(options.port),
        user=str(options.username),
        identity_files=_expand_paths(values.get("IdentityFile", ())),
        proxy_jump=proxy if isinstance(proxy, str) else None,
        proxy_command=str(command) if command else None,
    )
