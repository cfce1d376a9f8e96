"""The hosts of an OpenSSH client config (with `Include`), for the inventory provider.

`list_hosts` reads the file as ssh(1) would for `Include` (relative names under `~/.ssh`, glob
patterns in sorted order, no match is not an error, at most 16 levels) and returns every `Host`
alias that names one host: patterns with `*` or `?` and negations (`!name`) are skipped. An
Include that matches something unreadable is an error naming the file and line, as it is for ssh.

`resolve_alias` applies the config to one alias (the SSH layer's parser, so `Match` works too).
"""

from __future__ import annotations

import errno
import glob
import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import ConfigError, SshError
from tui.core.models import SshTarget
from tui.core.ssh.resolve import MAX_INCLUDE_DEPTH, parse_proxy_jump, read_host_config

_LINE = re.compile(r"^\s*(\S+?)(?:\s*=\s*|\s+)(.*?)\s*$")


class SshConfigError(ConfigError):
    """The SSH config the inventory reads has a problem (the message names file and line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.trail: tuple[str, ...] = ("ssh_config",)


@dataclass(frozen=True)
class SshConfigHost:
    """One `Host` alias and where it was defined."""

    alias: str
    path: Path
    line: int


def user_ssh_config() -> Path:
    """`~/.ssh/config` (looked up now: HOME may change in tests)."""
    return Path("~/.ssh/config").expanduser()


def is_single_host(pattern: str) -> bool:
    """True for a `Host` pattern that names exactly one host (no wildcard, no negation)."""
    return bool(pattern) and not pattern.startswith("!") and not any(c in pattern for c in "*?")


def list_hosts(path: Path, *, required: bool = True) -> list[SshConfigHost]:
    """Every single-host `Host` alias of `path` and the files it includes, first one wins.

    Args:
        path: The top-level SSH config file.
        required: When False a missing `path` gives no hosts instead of an error.

    Raises:
        SshConfigError: the file (or an included one) cannot be read, loops or nests too deep.
    """
    if not path.exists() and not required:
        return []
    found: dict[str, SshConfigHost] = {}
    _read(path, (), None, found)
    return list(found.values())


def _read(
    path: Path, chain: tuple[Path, ...], origin: str | None, found: dict[str, SshConfigHost]
) -> None:
    where = f" (included from {origin})" if origin else ""
    if path in chain:
        names = " -> ".join(str(p) for p in (*chain[chain.index(path) :], path))
        raise SshConfigError(
            f"the SSH config has an Include loop: {names}; remove one of these Include lines"
        )
    if len(chain) >= MAX_INCLUDE_DEPTH:
        raise SshConfigError(
            f"the SSH config nests Include deeper than {MAX_INCLUDE_DEPTH} files at {path}{where}"
        )
    fix = "fix or remove that Include line" if origin else "fix `ssh_config` or create the file"
    if not path.is_file():
        raise SshConfigError(f"the SSH config {path}{where} {_not_a_file(path)}; {fix}")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SshConfigError(f"cannot read the SSH config {path}{where}: {reason}; {fix}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _LINE.match(raw)
        if match is None or raw.lstrip().startswith("#"):
            continue
        keyword, rest = match.group(1).lower(), match.group(2)
        if keyword not in {"host", "include"}:
            continue
        try:
            words = shlex.split(rest, comments=True)
        except ValueError as exc:
            raise SshConfigError(
                f"{path}:{number}: cannot parse {raw.strip()!r} ({exc}); fix the quoting"
            ) from None
        if keyword == "host":
            for alias in words:
                if is_single_host(alias) and alias not in found:
                    found[alias] = SshConfigHost(alias, path, number)
            continue
        for pattern in words:
            full = Path(pattern).expanduser()
            if not full.is_absolute():
                full = Path("~/.ssh").expanduser() / full
            for name in sorted(glob.glob(str(full))):
                _read(Path(name), (*chain, path), f"{path}:{number}", found)


def _not_a_file(path: Path) -> str:
    """Why `path` is not a readable regular file: "does not exist", "is a directory"..."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"is a symbolic link that loops ({_link_chain(path)}) and never reaches a file"
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        return "does not exist"
    return "is a directory" if stat.S_ISDIR(mode) else "is not a regular file"


def _link_chain(path: Path, hops: int = 8) -> str:
    """`a -> b -> a`: the symbolic links from `path` until one repeats (at most `hops`)."""
    seen = [path]
    while len(seen) <= hops and seen[-1].is_symlink():
        target = seen[-1].parent / os.readlink(seen[-1])
        seen.append(target)
        if target in seen[:-1]:
            break
    return " -> ".join(str(p) for p in seen) + (" -> ..." if len(seen) > hops else "")


@dataclass(frozen=True)
class ResolvedHost:
    """Where an alias really goes once the SSH config is applied."""

    host: str
    port: int
    user: str
    key_path: Path | None
    """The first `IdentityFile`, if any."""
    jump: SshTarget | None
    """From `ProxyJump`."""
    proxied: bool
    """True when a `ProxyCommand` or `ProxyJump` is set (then a direct TCP probe means nothing)."""

    def target(self) -> SshTarget:
        """An explicit target for this host (for a config file the SSH pool does not read)."""
        return SshTarget(self.host, self.port, self.user, self.key_path, self.jump)


async def resolve_alias(alias: str, config: Path | None) -> ResolvedHost:
    """Apply `config` (None: no config file) to `alias` as `ssh alias` would.

    Raises:
        SshConfigError: the config cannot be parsed for this alias.
    """
    try:
        found = await read_host_config(alias, config)
    except SshError as exc:
        raise SshConfigError(exc.message) from exc
    try:
        jump = parse_proxy_jump(found.proxy_jump) if found.proxy_jump is not None else None
    except SshError as exc:
        raise SshConfigError(f"{config}: Host {alias}: {exc.message}") from None
    command = found.proxy_command
    return ResolvedHost(
        host=found.host,
        port=found.port,
        user=found.user,
        key_path=found.identity_files[0] if found.identity_files else None,
        jump=jump,
        proxied=jump is not None or bool(command and command.lower() != "none"),
    )
