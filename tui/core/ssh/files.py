"""Remote files over SFTP: read, atomic write (temporary name, then rename), stat, list.

Paths are as the SFTP server sees them: relative ones start in the remote home directory.
"""

from __future__ import annotations

import posixpath
import secrets
import stat
from dataclasses import dataclass

import asyncssh

from tui.core.models import SshTarget
from tui.core.ssh.diagnose import file_error


@dataclass(frozen=True)
class RemoteStat:
    """What `stat` tells about a remote path."""

    size: int
    mode: int
    """Permission bits (e.g. 0o600)."""
    is_dir: bool
    mtime: float | None


@dataclass(frozen=True)
class RemoteEntry:
    """One name in a remote directory."""

    name: str
    stat: RemoteStat


def _stat_of(attrs: asyncssh.SFTPAttrs) -> RemoteStat:
    mode = attrs.permissions or 0
    return RemoteStat(
        size=attrs.size or 0,
        mode=stat.S_IMODE(mode),
        is_dir=stat.S_ISDIR(mode),
        mtime=float(attrs.mtime) if attrs.mtime is not None else None,
    )


class RemoteFiles:
    """An open SFTP session on one node (from `SshPool.sftp`, an async context manager).

    Every failure raises `RemoteFileError` (with the server's `reason`) or, when the
    connection went, `SshDisconnected`.
    """

    def __init__(self, client: asyncssh.SFTPClient, target: SshTarget) -> None:
        self._sftp = client
        self.target = target

    async def read(self, path: str, *, max_bytes: int | None = None) -> bytes:
        """The file's bytes (at most `max_bytes` of them)."""
        try:
            async with self._sftp.open(path, "rb") as remote:
                data = await remote.read(-1 if max_bytes is None else max_bytes)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "read", exc) from exc
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)

    async def write(self, path: str, data: bytes, *, mode: int = 0o600) -> None:
        """Write `path` atomically: a temporary name with `mode`, then a rename over `path`.

        Nothing half-written is ever left under `path`; the temporary file goes on failure.
        """
        folder, name = posixpath.split(path)
        temp = posixpath.join(folder, f".{name}.clusterdeck-{secrets.token_hex(4)}")
        try:
            async with self._sftp.open(temp, "wb", attrs=asyncssh.SFTPAttrs(permissions=mode)) as f:
                await f.write(data)
            await self._sftp.chmod(temp, mode)
            await self._sftp.posix_rename(temp, path)
        except (asyncssh.Error, OSError) as exc:
            try:
                await self._sftp.remove(temp)
            except (asyncssh.Error, OSError):
                pass
            raise file_error(self.target, path, "write", exc) from exc

    async def stat(self, path: str) -> RemoteStat:
        """Size, permissions, type and modification time of `path` (links followed)."""
        try:
            return _stat_of(await self._sftp.stat(path))
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "stat", exc) from exc

    async def listdir(self, path: str = ".") -> list[RemoteEntry]:
        """The entries of directory `path` by name (without `.` and `..`)."""
        try:
            names = await self._sftp.readdir(path)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "list", exc) from exc
        entries = [
            RemoteEntry(str(n.filename), _stat_of(n.attrs))
            for n in names
            if n.filename not in (".", "..", b".", b"..")
        ]
        return sorted(entries, key=lambda e: e.name)
