"""Host keys: known_hosts lookup with OpenSSH's matching rules, fingerprints, trust decisions.

Pure functions (plus small file reads and writes) shared by the connection pool and the trust
dialog. Host names are matched as OpenSSH does with `CheckHostIP no` (its default since 8.5): the
name is `host` on port 22 and `[host]:port` otherwise, patterns may be hashed (`|1|salt|hash`),
use `*` / `?` wildcards and `!` negation, and matching ignores case.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from tui.core.errors import HostKeyChanged, HostKeyError, HostKeyUnknown

DEFAULT_PORT = 22


def fingerprint(key: asyncssh.SSHKey) -> str:
    """The key's SHA256 fingerprint as OpenSSH prints it, e.g. `SHA256:uNiV...`."""
    return key.get_fingerprint("sha256")


def key_type(key: asyncssh.SSHKey) -> str:
    """The key's algorithm name, e.g. `ssh-ed25519`."""
    return key.get_algorithm()


def public_key_line(key: asyncssh.SSHKey) -> str:
    """The key in OpenSSH one-line format without a comment: `ssh-ed25519 AAAA...`."""
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"{algorithm} {blob}"


def known_hosts_name(host: str, port: int = DEFAULT_PORT) -> str:
    """The name known_hosts stores for a host: `host`, or `[host]:port` off port 22."""
    return host if port == DEFAULT_PORT else f"[{host}]:{port}"


def display_name(host: str, port: int = DEFAULT_PORT) -> str:
    """`host:port` as a user reads it in messages."""
    return f"{host}:{port}"


# --- reading known_hosts -----------------------------------------------------------------------


@dataclass(frozen=True)
class KnownHostEntry:
    """One key line of a known_hosts file."""

    path: Path
    line: int
    """1-based line number, as `ssh-keygen -R` and editors count."""
    patterns: str
    key: asyncssh.SSHKey
    marker: str | None = None
    """None for a plain host key, else `cert-authority` or `revoked`."""


def _pattern_matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            _, _, salt64, hash64 = pattern.split("|", 3)
            salt = base64.b64decode(salt64, validate=True)
            expected = base64.b64decode(hash64, validate=True)
        except (ValueError, binascii.Error):
            return False
        digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(digest, expected)
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, flags=re.IGNORECASE) is not None


def patterns_match(patterns: str, name: str) -> bool:
    """Whether a known_hosts host field (`a,b,!c,|1|..`) matches `name` (OpenSSH rules)."""
    matched = False
    for raw in patterns.split(","):
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        if pattern and _pattern_matches(pattern, name):
            if negated:
                return False
            matched = True
    return matched


def parse_known_hosts(path: Path) -> list[KnownHostEntry]:
    """Every key line of one known_hosts file; missing files and unparsable lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return []
    entries: list[KnownHostEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        marker: str | None = None
        fields = line.split()
        if fields[0].startswith("@"):
            marker, fields = fields[0][1:], fields[1:]
            if marker not in {"cert-authority", "revoked"}:
                continue
        if len(fields) < 3:
            continue
        try:
            key = asyncssh.import_public_key(f"{fields[1]} {fields[2]}")
        except (asyncssh.KeyImportError, ValueError):
            continue
        entries.append(KnownHostEntry(path, number, fields[0], key, marker))
    return entries


def entries_for(
    paths: Iterable[Path], host: str, port: int = DEFAULT_PORT
) -> tuple[KnownHostEntry, ...]:
    """The known_hosts entries (all files, in order) whose host patterns match `host`:`port`."""
    name = known_hosts_name(host, port)
    return tuple(
        entry
        for path in paths
        for entry in parse_known_hosts(path)
        if patterns_match(entry.patterns, name)
    )


def entry_at(path: Path, line: int) -> KnownHostEntry | None:
    """The key entry on `line` (1-based) of a known_hosts file, if that line holds one."""
    return next((e for e in parse_known_hosts(path) if e.line == line), None)


# --- decisions -------------------------------------------------------------------------------


class HostKeyStatus(enum.Enum):
    """What the known_hosts files say about the key a server presented."""

    TRUSTED = "trusted"
    UNKNOWN = "unknown"
    CHANGED = "changed"
    REVOKED = "revoked"


@dataclass(frozen=True)
class HostKeyCheck:
    """The outcome of checking one presented host key against the known entries for its host."""

    status: HostKeyStatus
    host: str
    port: int
    key: asyncssh.SSHKey
    conflicts: tuple[KnownHostEntry, ...] = field(default=())
    """For CHANGED: the entries holding a different key of the same type."""
    other_types: tuple[str, ...] = field(default=())
    """For UNKNOWN: key types already known for this host (the server showed another type)."""


def check_host_key(
    entries: Sequence[KnownHostEntry], host: str, port: int, key: asyncssh.SSHKey
) -> HostKeyCheck:
    """Classify `key` given the entries that matched the host (see `entries_for`)."""
    plain = [e for e in entries if e.marker is None]
    if any(e.marker == "revoked" and e.key == key for e in entries):
        return HostKeyCheck(HostKeyStatus.REVOKED, host, port, key)
    if any(e.key == key for e in plain):
        return HostKeyCheck(HostKeyStatus.TRUSTED, host, port, key)
    same_type = tuple(e for e in plain if key_type(e.key) == key_type(key))
    if same_type:
        return HostKeyCheck(HostKeyStatus.CHANGED, host, port, key, conflicts=same_type)
    others = tuple(dict.fromkeys(key_type(e.key) for e in plain))
    return HostKeyCheck(HostKeyStatus.UNKNOWN, host, port, key, other_types=others)


def trusted_keys(entries: Sequence[KnownHostEntry]) -> list[asyncssh.SSHKey]:
    """Plain host keys among `entries`."""
    return [e.key for e in entries if e.marker is None]


def host_key_error(check: HostKeyCheck) -> HostKeyError:
    """The user-facing error for an untrusted key (anything but TRUSTED)."""
    name = display_name(check.host, check.port)
    kind, fp = key_type(check.key), fingerprint(check.key)
    host, port, line = check.host, check.port, public_key_line(check.key)
    if check.status is HostKeyStatus.CHANGED:
        entry = check.conflicts[0]
        return HostKeyChanged(
            f"WARNING: the host key of {name} has CHANGED. Someone could be intercepting the "
            f"connection (man-in-the-middle), or the host was reinstalled. It now presents "
            f"{kind} {fp}, but {entry.path} line {entry.line} holds a different {kind} key "
            f"({fingerprint(entry.key)}). "
            f"The connection was refused. Check the new fingerprint with the cluster's "
            f"administrator; only then remove line {entry.line} from {entry.path} "
            f"(e.g. `ssh-keygen -R '{known_hosts_name(check.host, check.port)}' "
            f"-f {entry.path}`) and connect again.",
            host=host,
            port=port,
            key_type=kind,
            fingerprint=fp,
            public_key=line,
            known_hosts_path=str(entry.path),
            line=entry.line,
        )
    if check.status is HostKeyStatus.REVOKED:
        return HostKeyError(
            f"the host key of {name} ({kind} {fp}) is marked @revoked in known_hosts; "
            f"the connection was refused"
        )
    port_flag = f"-p {check.port} " if check.port != DEFAULT_PORT else ""
    other = ""
    if check.other_types:
        other = f" (keys of another type, {', '.join(check.other_types)}, are known for it)"
    return HostKeyUnknown(
        f"{name} is not trusted yet: its host key {kind} {fp} is in no known_hosts file{other}. "
        f"Verify the fingerprint with the cluster's administrator, then add the key, e.g. by "
        f"connecting once with `ssh {port_flag}{check.host}` or with "
        f"`ssh-keyscan {port_flag}{check.host} >> ~/.ssh/known_hosts`.",
        host=host,
        port=port,
        key_type=kind,
        fingerprint=fp,
        public_key=line,
    )


# --- writing known_hosts -----------------------------------------------------------------------


def add_known_host(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Append `host`:`port` with `key` to a known_hosts file in OpenSSH format (file mode 0600).

    Creates the file (and its directory, 0700) when missing.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = f"{known_hosts_name(host, port)} {public_key_line(key)}\n"
    needs_newline = False
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as existing:
            existing.seek(-1, os.SEEK_END)
            needs_newline = existing.read(1) != b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(("\n" if needs_newline else "") + line)
    os.chmod(path, 0o600)
