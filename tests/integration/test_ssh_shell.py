"""SshShellBackend against a real sshd: PTY size, exit status, dropped connections, flow control."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SessionExit, SshShellBackend

pytestmark = pytest.mark.sshd


@pytest.fixture
async def pool(tmp_path: Path, sshd: SshdServer) -> AsyncIterator[SshPool]:
    pool = SshPool(known_hosts_paths=[sshd.write_known_hosts(tmp_path / "known_hosts")])
    yield pool
    await pool.close()


async def read_until(backend: SshShellBackend, pattern: bytes, *, within: float = 10) -> bytes:
    """Read until `pattern` (a regex) shows up in the output; fail after `within` seconds."""
    seen = b""
    async with asyncio.timeout(within):
        while not re.search(pattern, seen):
            chunk = await backend.read()
            if not chunk:
                raise AssertionError(f"session ended before {pattern!r}; got {seen[-500:]!r}")
            seen += chunk
    return seen


async def read_to_end(backend: SshShellBackend, *, within: float = 10) -> bytes:
    seen = b""
    async with asyncio.timeout(within):
        while chunk := await backend.read():
            seen += chunk
    return seen


async def test_pty_has_the_start_size_and_follows_resize(pool: SshPool, sshd: SshdServer) -> None:
    shell = SshShellBackend(pool, sshd.target())
    await shell.start(100, 30)
    try:
        shell.write(b"stty size\n")
        await read_until(shell, rb"\b30 100\b")
        shell.resize(120, 40)
        shell.write(b"stty size; echo TERM=$TERM\n")
        out = await read_until(shell, rb"TERM=[\w-]+\r?\n")
        assert re.search(rb"\b40 120\b", out)
        assert b"TERM=xterm-256color" in out
    finally:
        await shell.close()


async def test_exit_status_is_reported(pool: SshPool, sshd: SshdServer) -> None:
    shell = SshShellBackend(pool, sshd.target())
    await shell.start(80, 24)
    assert shell.exit_info is None
    shell.write(b"exit 7\n")
    await read_to_end(shell)
    assert shell.exit_info == SessionExit("exited with status 7", exit_status=7)
    assert await shell.read() == b""
    # the pooled connection outlives the session
    assert pool.cached(sshd.target()) is not None


async def test_close_keeps_the_connection_and_is_idempotent(
    pool: SshPool, sshd: SshdServer
) -> None:
    shell = SshShellBackend(pool, sshd.target(), command="echo started; sleep 60")
    await shell.start(80, 24)
    await read_until(shell, rb"started")
    async with asyncio.timeout(5):  # the remote program is hung up on, not waited for
        await shell.close()
    await shell.close()
    assert shell.exit_info is not None and not shell.exit_info.disconnected
    assert await shell.read() == b""
    assert await pool.run(sshd.target(), "echo still-here", timeout=10) == (0, "still-here\n", "")


async def test_killed_sshd_means_disconnected_then_start_reconnects(
    pool: SshPool, sshd: SshdServer
) -> None:
    target = sshd.target()
    shell = SshShellBackend(pool, target)
    await shell.start(80, 24)
    first = pool.cached(target)
    shell.write(b"echo ready\n")
    await read_until(shell, rb"[\r\n]ready\r?\n")

    sshd.stop()
    await read_to_end(shell)
    info = shell.exit_info
    assert info is not None and info.disconnected and info.exit_status is None
    assert info.reason.startswith("connection lost")
    assert pool.cached(target) is None
    shell.write(b"ignored after the end\n")  # must not raise

    sshd.start()
    async with asyncio.timeout(20):
        await shell.start(90, 20)
    assert shell.exit_info is None
    assert pool.cached(target) not in (None, first)
    shell.write(b"stty size\n")
    await read_until(shell, rb"\b20 90\b")
    await shell.close()


async def test_a_flood_is_paused_not_buffered_and_nothing_is_lost(
    pool: SshPool, sshd: SshdServer
) -> None:
    total = 4_000_000
    high, low = 64 * 1024, 16 * 1024
    shell = SshShellBackend(
        pool,
        sshd.target(),
        command=f"head -c {total} /dev/zero | tr '\\0' x",
        high_water=high,
        low_water=low,
    )
    await shell.start(80, 24)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not shell.reading_paused:  # nobody reads: the backend must stop the channel
        assert loop.time() < deadline, "reading never paused"
        await asyncio.sleep(0.005)
    for _ in range(3):  # round trips on the same connection: the flood had time to go on
        await pool.run(sshd.target(), "true", timeout=10)
    assert high <= shell.queued_bytes < high + 64 * 1024
    received = 0
    biggest = 0
    async with asyncio.timeout(30):
        while chunk := await shell.read():
            received += chunk.count(b"x")
            biggest = max(biggest, len(chunk))
    assert received == total
    assert biggest <= 256 * 1024
    assert shell.exit_info == SessionExit("exited with status 0", exit_status=0)
