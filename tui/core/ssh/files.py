"""Remote files over SFTP: read, atomic write, stat, list, open for transfers, rename, remove.

Paths are as the SFTP server sees them: relative ones start in the remote home directory.
"""

from __future__ import annotations

import posixpath
import secrets
import stat
from dataclasses import dataclass

import asyncssh

from tui.core.errors import RemoteFileError
from tui.core.models import SshTarget
from tui.core.ssh.diagnose import file_error
from tui.core.ssh.handle import Pipeline, RemoteHandle

_OPEN_MODES = {"read": "rb", "write": "r+b", "create": "wb"}


@dataclass(frozen=True)
class RemoteStat:
    """What `stat` tells about a remote path."""

    size: int
    mode: int
    """Permission bits (e.g. 0o600)."""
    is_dir: bool
    mtime: float | None
    is_link: bool = False
    """A symbolic link (only from `lstat` and `listdir`, which do not follow links)."""

    @property
    def is_file(self) -> bool:
        """A regular file (or a link, from `stat`, to one)."""
        return not self.is_dir and not self.is_link and stat.S_IFMT(self.kind) == stat.S_IFREG

    kind: int = stat.S_IFREG
    """The file type bits (`stat.S_IFMT`)."""


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
        is_link=stat.S_ISLNK(mode),
        kind=stat.S_IFMT(mode),
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

    async def read_range(self, path: str, offset: int, size: int) -> bytes:
        """Up to `size` bytes of `path` from byte `offset` (fewer at the end of the file)."""
        try:
            async with self._sftp.open(path, "rb") as remote:
                await remote.seek(offset)
                data = await remote.read(size)
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

    async def lstat(self, path: str) -> RemoteStat | None:
        """Like `stat` without following a link; None when nothing is at `path`."""
        try:
            return _stat_of(await self._sftp.lstat(path))
        except asyncssh.SFTPNoSuchFile:
            return None
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "stat", exc) from exc

    async def realpath(self, path: str = ".") -> str:
        """`path` made absolute, as the server resolves it (`.`: the home directory)."""
        try:
            return str(await self._sftp.realpath(path))
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "resolve", exc) from exc

    async def open(
        self, path: str, how: str = "read", *, pipeline: Pipeline | None = None, mode: int = 0o644
    ) -> RemoteHandle:
        """Open `path` to "read", to "write" (an existing file, in place) or to "create" it
        (truncated, permissions `mode`); close the handle when done (`async with`)."""
        chosen = pipeline or Pipeline()
        attrs = asyncssh.SFTPAttrs(permissions=mode) if how == "create" else asyncssh.SFTPAttrs()
        try:
            handle = await self._sftp.open(
                path,
                _OPEN_MODES[how],
                attrs,
                block_size=chosen.block_size or -1,
                max_requests=chosen.max_requests,
            )
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "open", exc) from exc
        return RemoteHandle(handle, self.target, path, chosen)

    async def rename(self, source: str, dest: str, *, replace: bool = True) -> None:
        """Rename `source` to `dest`; with `replace` an existing `dest` file is replaced."""
        try:
            if replace:
                await self._sftp.posix_rename(source, dest)
            else:
                await self._sftp.rename(source, dest)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, source, "rename", exc) from exc

    async def mkdir(self, path: str, *, parents: bool = False, mode: int = 0o755) -> None:
        """Make directory `path` (with `parents`: and missing parents; existing is fine)."""
        attrs = asyncssh.SFTPAttrs(permissions=mode)
        try:
            if parents:
                await self._sftp.makedirs(path, attrs, exist_ok=True)
            else:
                await self._sftp.mkdir(path, attrs)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "make directory", exc) from exc

    async def remove(self, path: str) -> None:
        """Remove the file or link `path` (not a directory)."""
        try:
            await self._sftp.remove(path)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "remove", exc) from exc

    async def rmtree(self, path: str) -> int:
        """Remove directory `path` and everything below it; returns how many entries went.

        Links are removed, never followed. `/`, the home directory and paths ending in `.`
        or `..` are refused.
        """
        absolute = posixpath.normpath(await self.realpath(path))
        if absolute in ("/", await self.realpath(".")) or posixpath.basename(path) in (".", ".."):
            raise RemoteFileError(
                f"refusing to delete {path} on {self.target}", path=path, reason="protected"
            )
        removed = 0
        for entry in await self.listdir(absolute):
            child = posixpath.join(absolute, entry.name)
            if entry.stat.is_dir and not entry.stat.is_link:
                removed += await self.rmtree(child)
            else:
                await self.remove(child)
                removed += 1
        try:
            await self._sftp.rmdir(absolute)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "remove", exc) from exc
        return removed + 1

    async def free_space(self, path: str) -> int | None:
        """Bytes free to an unprivileged user on the file system of `path` (None: unknown)."""
        folder = posixpath.dirname(path) or "."
        try:
            vfs = await self._sftp.statvfs(folder)
        except (asyncssh.Error, OSError):
            return None
        return int(vfs.bavail * (vfs.frsize or vfs.bsize))

    async def set_attrs(self, path: str, *, mode: int, mtime: float | None) -> None:
        """Set the permissions (and the modification time) of `path`."""
        attrs = asyncssh.SFTPAttrs(permissions=mode)
        if mtime is not None:
            attrs = asyncssh.SFTPAttrs(permissions=mode, atime=int(mtime), mtime=int(mtime))
        try:
            await self._sftp.setstat(path, attrs)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self.target, path, "set attributes of", exc) from exc
