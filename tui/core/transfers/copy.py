"""One file each way over SFTP: pipelined, into a partial file, resumed from where it stopped.

Download: blocks arrive out of order and are written in order, so the local partial file always
holds exactly the bytes received so far (a cut download resumes from its last byte); our SHA-256
is computed on the way. Upload: writes go out in order with many in flight; a partial remote
file found later is trusted up to one pipeline window below its end (a cut pipeline can leave
holes only there). The final rename and the checks are the caller's (`runner.py`).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO

from tui.core.errors import RemoteFileError
from tui.core.ssh.files import RemoteFiles
from tui.core.ssh.handle import Pipeline
from tui.core.transfers.checksum import Digest, sha256_file
from tui.core.transfers.model import ChecksumMismatch, TransferError
from tui.core.transfers.paths import local_part, remote_part
from tui.core.transfers.plan import FileItem

READ_CHUNK = 4 * 1024 * 1024
"""Bytes read from a local file at a time for an upload."""

Advance = Callable[[int], None]
"""Told how many more bytes have been copied."""


def local_error(path: Path, exc: OSError) -> TransferError:
    """A local file problem in words: disk full, file too large, permission denied..."""
    if exc.errno == errno.ENOSPC:
        return TransferError(f"the local disk is full: cannot write {path}")
    if exc.errno == errno.EFBIG:
        return TransferError(f"file too large for the local disk or limit: {path}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return TransferError(f"permission denied: cannot write {path}")
    return TransferError(f"cannot write {path}: {exc.strerror or exc}")


async def download(
    files: RemoteFiles, item: FileItem, advance: Advance, pipeline: Pipeline
) -> tuple[Path, int]:
    """Copy `item.remote` into the local partial file; returns it and the bytes resumed."""
    part = local_part(item.local)
    try:
        have = part.stat().st_size if part.exists() else 0
    except OSError as exc:
        raise local_error(part, exc) from exc
    start = have if have <= item.size else 0
    digest = await asyncio.to_thread(sha256_file, part, limit=start) if start else hashlib.sha256()
    if start:
        advance(start)
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError as exc:
        raise local_error(part, exc) from exc
    sink = _Sink(fd, digest, start, advance)
    try:
        os.ftruncate(fd, start)
        waiting: dict[int, bytes] = {}
        async with await files.open(item.remote, pipeline=pipeline) as handle:
            async for at, data in handle.read_blocks(start, item.size - start):
                waiting[at] = data
                while sink.queued in waiting:
                    await sink.add(waiting.pop(sink.queued))
        await sink.flush()
    except OSError as exc:
        raise local_error(part, exc) from exc
    finally:
        await sink.settle()
        os.close(fd)
    position = sink.position
    if position != item.size:
        raise ChecksumMismatch(
            f"{item.remote} changed while it was copied: got {position:,} bytes, "
            f"expected {item.size:,}"
        )
    item.digest = digest.hexdigest()
    return part, start


class _Sink:
    """Writes and hashes the blocks of a download in order, in a thread, one batch at a time,
    so the disk and the hash run while the next blocks arrive."""

    BATCH = 4 * 1024 * 1024

    def __init__(self, fd: int, digest: Digest, start: int, advance: Advance) -> None:
        self._fd = fd
        self._digest = digest
        self._advance = advance
        self.position = start
        """Bytes on disk (and hashed)."""
        self.queued = start
        """Bytes handed over (on disk, or being written)."""
        self._batch: list[bytes] = []
        self._batch_size = 0
        self._writing: asyncio.Future[int] | None = None

    async def add(self, block: bytes) -> None:
        self._batch.append(block)
        self._batch_size += len(block)
        self.queued += len(block)
        if self._batch_size >= self.BATCH:
            await self.flush(wait=False)

    async def flush(self, *, wait: bool = True) -> None:
        """Start writing the batch (after the one being written); `wait` for both."""
        await self.settle(raising=True)
        if self._batch:
            batch, at = self._batch, self.queued - self._batch_size
            self._batch, self._batch_size = [], 0
            loop = asyncio.get_running_loop()
            self._writing = loop.run_in_executor(None, self._write, batch, at)
        if wait:
            await self.settle(raising=True)

    async def settle(self, *, raising: bool = False) -> None:
        """Wait for the write in progress; its error is raised only when `raising`."""
        writing, self._writing = self._writing, None
        if writing is None:
            return
        try:
            written = await asyncio.shield(writing)
        except OSError:
            if raising:
                raise
            return
        except asyncio.CancelledError:
            await asyncio.wait([writing])  # never close the file under a running write
            raise
        self.position += written
        self._advance(written)

    def _write(self, batch: list[bytes], at: int) -> int:
        data = b"".join(batch) if len(batch) > 1 else batch[0]
        view = memoryview(data)
        while view:
            view = view[os.pwrite(self._fd, view, at + len(data) - len(view)) :]
        self._digest.update(data)
        return len(data)


SMALL = 1024 * 1024
"""Files up to this size are read in one go on the event loop (a thread hop costs more)."""


def _read_hashed(source: BinaryIO, digest: Digest) -> bytes:
    """The next chunk of `source`, hashed (in a worker thread: the loop keeps serving)."""
    block = source.read(READ_CHUNK)
    digest.update(block)
    return block


async def _chunks(path: Path, start: int, digest: Digest, size: int) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        source.seek(start)
        if size - start <= SMALL:
            block = source.read(SMALL + 1)
            digest.update(block)
            if block:
                yield block
            return
        while True:
            block = await asyncio.to_thread(_read_hashed, source, digest)
            if not block:
                return
            yield block


async def upload(
    files: RemoteFiles, item: FileItem, advance: Advance, pipeline: Pipeline, *, fresh: bool
) -> tuple[str, int]:
    """Copy `item.local` into the remote partial file; returns it and the bytes resumed.

    `fresh`: its folder was made by this transfer, so there is no partial file to look for.
    The partial file gets the source's permissions; the modification time is not kept (as
    `sftp put` and `scp` without `-p`).
    """
    part = remote_part(item.remote)
    found = None if fresh else await files.lstat(part)
    start = 0
    if found is not None and found.is_file and found.size <= item.size:
        start = max(0, found.size - pipeline.window)
        start -= start % (pipeline.block_size or 4096)
    digest = (
        await asyncio.to_thread(sha256_file, item.local, limit=start) if start else hashlib.sha256()
    )
    how = "write" if start else "create"
    try:
        mode = item.mode & 0o777
        async with await files.open(part, how, pipeline=pipeline, mode=mode) as handle:
            if start:
                await handle.truncate(start)
                advance(start)
            try:
                end = await handle.write_stream(
                    _chunks(item.local, start, digest, item.size), start, advance
                )
            except OSError as exc:
                raise TransferError(f"cannot read {item.local}: {exc.strerror or exc}") from exc
    except RemoteFileError as exc:
        raise await _clearer(files, part, item, exc) from exc
    if end != item.size:
        raise ChecksumMismatch(
            f"{item.local} changed while it was copied: sent {end:,} bytes, expected {item.size:,}"
        )
    item.digest = digest.hexdigest()
    return part, start


async def _clearer(
    files: RemoteFiles, part: str, item: FileItem, exc: RemoteFileError
) -> RemoteFileError:
    """`exc`, or a disk-full error when the remote's free space says that is what happened.

    OpenSSH's sftp-server reports a full disk or a file-size limit only as "Failure".
    """
    if exc.reason.lower() not in ("failure", "ssh_fx_failure"):
        return exc
    free = await files.free_space(part)
    if free is not None and free < item.size:
        return RemoteFileError(
            f"no space left on {files.target} for {item.remote}: "
            f"{free:,} bytes free, {item.size:,} needed",
            path=item.remote,
            reason="disk full",
        )
    return RemoteFileError(
        f'cannot write {item.remote} on {files.target}: the server said only "Failure" '
        "(a full disk, a quota or a file-size limit on the remote?)",
        path=item.remote,
        reason=exc.reason,
    )
