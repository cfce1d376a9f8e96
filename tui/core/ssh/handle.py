"""An open remote file for transfers: pipelined reads and writes at given offsets.

SFTP answers each request on its own, so throughput comes from keeping many requests in
flight (`max_requests` of `block_size` bytes each); one request at a time is bound by the
round trip. Reads come back as they arrive (out of order); writes are issued in order and
`write_stream` reports the contiguous prefix the server has acknowledged, which is where a
cut transfer resumes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

import asyncssh

from tui.core.models import SshTarget
from tui.core.ssh.diagnose import file_error

MAX_BLOCK = 256 * 1024
"""The most bytes per SFTP request we send (OpenSSH's sftp-server says 255 KiB in its limits)."""
DEFAULT_REQUESTS = 64
"""Requests in flight per file (see the Files benchmark for how these two were chosen)."""


@dataclass(frozen=True)
class Pipeline:
    """How a transfer keeps the SFTP channel busy."""

    block_size: int = 0
    """Bytes per request; 0: the most the server accepts (its `limits@openssh.com`)."""
    max_requests: int = DEFAULT_REQUESTS

    @property
    def window(self) -> int:
        """Bytes that may be in flight: a cut upload may have holes this far below its end."""
        return (self.block_size or MAX_BLOCK) * self.max_requests


class RemoteHandle:
    """One open remote file (from `RemoteFiles.open`); an async context manager."""

    def __init__(
        self, file: asyncssh.SFTPClientFile, target: SshTarget, path: str, pipeline: Pipeline
    ) -> None:
        self._file = file
        self._target = target
        self.path = path
        self.pipeline = pipeline
        self.block_size = min(file.write_len or MAX_BLOCK, MAX_BLOCK)
        """Bytes per write request, as agreed with the server."""

    async def __aenter__(self) -> RemoteHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the handle; a failure to close (the connection went) is ignored."""
        try:
            await self._file.close()
        except (asyncssh.Error, OSError):
            pass

    async def size(self) -> int:
        """The file's size now (fstat)."""
        try:
            attrs = await self._file.stat()
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self._target, self.path, "stat", exc) from exc
        return attrs.size or 0

    async def truncate(self, size: int) -> None:
        """Cut the file to `size` bytes."""
        try:
            await self._file.truncate(size)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self._target, self.path, "truncate", exc) from exc

    async def read_blocks(self, offset: int, size: int) -> AsyncIterator[tuple[int, bytes]]:
        """`(offset, data)` blocks covering `size` bytes from `offset`, in arrival order."""
        try:
            blocks = await self._file.read_parallel(size, offset)
            async for at, data in blocks:
                yield at, bytes(data)
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self._target, self.path, "read", exc) from exc

    async def write_stream(
        self,
        chunks: AsyncIterable[bytes],
        offset: int,
        on_done: Callable[[int], None],
    ) -> int:
        """Write `chunks` from `offset` on with up to `max_requests` writes in flight.

        `on_done(n)` is told each acknowledged write's length. Returns the end offset.
        Raises `RemoteFileError`/`SshDisconnected`; then `acknowledged` says how far the
        contiguous acknowledged prefix got.
        """
        self.acknowledged = offset
        limit = asyncio.Semaphore(self.pipeline.max_requests)
        done: dict[int, int] = {}
        pending: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def one(at: int, data: bytes) -> None:
            try:
                await self._file.write(data, at)
            except (asyncssh.Error, OSError) as exc:
                failure.append(exc)
                return
            finally:
                limit.release()
            done[at] = len(data)
            while self.acknowledged in done:
                self.acknowledged += done.pop(self.acknowledged)
            on_done(len(data))

        position = offset
        try:
            async for chunk in chunks:
                for start in range(0, len(chunk), self.block_size):
                    block = chunk[start : start + self.block_size]
                    await limit.acquire()
                    if failure:
                        limit.release()
                        raise failure[0]
                    task = asyncio.ensure_future(one(position, block))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    position += len(block)
            if pending:
                await asyncio.gather(*pending)
            if failure:
                raise failure[0]
        except (asyncssh.Error, OSError) as exc:
            raise file_error(self._target, self.path, "write", exc) from exc
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        return position
