"""SHA-256 on both sides: hashlib here, `sha256sum` on the remote (one command per batch)."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool

CHUNK = 4 * 1024 * 1024
NO_SHA256SUM = 127
"""The shell's status for a command it cannot find."""


Digest = Any
"""A running `hashlib.sha256()` (typeshed names its class privately)."""


def sha256_file(path: Path, *, limit: int | None = None) -> Digest:
    """The running SHA-256 of `path` (its first `limit` bytes); blocking, run it in a thread."""
    digest = hashlib.sha256()
    left = limit
    with path.open("rb") as source:
        while left is None or left > 0:
            block = source.read(CHUNK if left is None else min(CHUNK, left))
            if not block:
                break
            digest.update(block)
            if left is not None:
                left -= len(block)
    return digest


def _unescape(name: str) -> str:
    """sha256sum's escaped name (a line starting with a backslash): `\\\\`, `\\n`, `\\r`."""
    out, chars = [], iter(name)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)


def parse_sha256sum(output: str) -> dict[str, str]:
    """`{name: hex digest}` from sha256sum's output lines (escaped names included)."""
    found: dict[str, str] = {}
    for line in output.split("\n"):
        escaped = line.startswith("\\")
        digest, sep, name = (line[1:] if escaped else line).partition("  ")
        if not sep:
            digest, sep, name = (line[1:] if escaped else line).partition(" *")
        if sep and len(digest) == 64:
            found[_unescape(name) if escaped else name] = digest.lower()
    return found


async def remote_sha256(
    pool: SshPool, target: SshTarget, folder: str, names: Sequence[str]
) -> dict[str, str] | None:
    """SHA-256 of `names` (relative to `folder`) on the remote; None without `sha256sum`.

    Names that cannot be read are missing from the answer. One command for every name:
    they go through stdin, NUL-separated, to `xargs -0 sha256sum --`.
    """
    if not names:
        return {}
    command = (
        "command -v sha256sum >/dev/null 2>&1 || exit 127; "
        f"cd -- {shlex.quote(folder or '.')} && xargs -0 sha256sum --"
    )
    stdin = "".join(f"{name}\0" for name in names)
    result = await pool.run(target, command, input=stdin)
    if result.status == NO_SHA256SUM:
        return None
    return parse_sha256sum(result.stdout)


async def remote_sha256_one(pool: SshPool, target: SshTarget, path: str) -> str | None:
    """SHA-256 of one (big) remote file; None without `sha256sum`.

    `openssl dgst` is used where present (several times faster where the CPU has SHA
    instructions), `sha256sum` otherwise; the file goes through stdin, so any name works.
    """
    quoted = shlex.quote(path)
    command = (
        f"if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r < {quoted}; "
        f"elif command -v sha256sum >/dev/null 2>&1; then sha256sum < {quoted}; "
        "else exit 127; fi"
    )
    result = await pool.run(target, command)
    if result.status == NO_SHA256SUM:
        return None
    digest = result.stdout.split(" ", 1)[0].strip().lower()
    return digest if result.status == 0 and len(digest) == 64 else ""
