"""The pool's operations against a real OpenSSH sshd: commands, processes, files, channels.

Each failure comes out once, as the project's `SshError` tree, with the pool's message style.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.integration.sshd import SshdServer, free_port
from tui.core.errors import (
    RemoteFileError,
    SshChannelRefused,
    SshDisconnected,
    SshTimeout,
    SshUnreachable,
)
from tui.core.ssh import ProcessEnd, RemoteProcess, SshPool

pytestmark = pytest.mark.sshd
WAIT = 20.0


async def read_until(proc: RemoteProcess, needle: bytes) -> bytes:
    seen = b""
    async with asyncio.timeout(WAIT):
        while needle not in seen:
            chunk = await proc.read()
            assert chunk, f"output ended before {needle!r}: {seen!r}"
            seen += chunk
    return seen


async def test_run_gives_text_or_bytes_and_takes_input(pool: SshPool, sshd: SshdServer) -> None:
    target = sshd.target()
    async with asyncio.timeout(WAIT):
        text = await pool.run(target, "cat; echo err >&2; exit 4", input="héllo\n", timeout=10)
        raw = await pool.run(target, r"printf '\377\000ok'", binary=True, timeout=10)
        counted = await pool.run(target, "wc -c", input=b"\x00\x01\x02", timeout=10)
        killed = await pool.run(target, "kill -TERM $$", timeout=10)
    assert text == (4, "héllo\n", "err\n")
    assert (text.status, text.stdout, text.stderr) == (4, "héllo\n", "err\n")
    assert raw.stdout == b"\xff\x00ok" and raw.stderr == b"" and raw.status == 0
    assert counted.stdout.strip() == "3"
    assert killed.status == -15  # killed by a signal: minus its number
    assert sshd.accepted_logins() == 1


async def test_a_command_over_its_time_says_so(pool: SshPool, sshd: SshdServer) -> None:
    target = sshd.target()
    async with asyncio.timeout(WAIT):
        with pytest.raises(SshTimeout) as caught:
            await pool.run(target, "sleep 30", timeout=0.3)
        assert await pool.run(target, "echo still here", timeout=10) == (0, "still here\n", "")
    assert str(caught.value) == f"'sleep 30' on {target} did not finish within 0.3 s"
    assert caught.value.title == "Timeout"


async def test_a_process_streams_then_ends_with_its_status(
    pool: SshPool, sshd: SshdServer, tmp_path: Path
) -> None:
    log = sshd.shared_dir() / "job.log"  # readable by the login user
    log.write_text("line 1\n")
    target = sshd.target()
    follow = await pool.process(target, f"exec tail -n +1 -F {log}")
    async with follow:
        assert await read_until(follow, b"line 1\n") == b"line 1\n"
        with log.open("a") as out:
            out.write("line 2\n")
        assert await read_until(follow, b"line 2\n") == b"line 2\n"
    # closed: tail goes (sshd hangs up its pipes), and the connection stays for others
    with log.open("a") as out:
        out.write("line 3\n")

    async def tails() -> str:
        result = await pool.run(target, f"pgrep -f 'tail -n [+]1 -F {log}' || true", timeout=10)
        return result.stdout

    async with asyncio.timeout(WAIT):
        while await tails():
            with log.open("a") as out:
                out.write("more\n")  # tail dies of SIGPIPE on its next write
    merged = await pool.process(target, "echo out; echo err >&2; exit 3", merge_stderr=True)
    async with merged, asyncio.timeout(WAIT):
        output = b""
        while chunk := await merged.read():
            output += chunk
        assert await merged.finish() == ProcessEnd(status=3)
    assert sorted(output.splitlines()) == [b"err", b"out"]
    assert sshd.accepted_logins() == 1


async def test_a_dropped_connection_is_one_ssh_error(
    pool: SshPool, sshd: SshdServer, tmp_path: Path
) -> None:
    target = sshd.target()
    proc = await pool.process(target, f"exec tail -F {sshd.shared_dir() / 'never.log'}")
    session = await pool.connect(target)
    await asyncio.to_thread(sshd.stop)
    with pytest.raises(SshDisconnected) as caught:
        async with proc, asyncio.timeout(WAIT):
            while await proc.read():
                pass
            await proc.finish()
    message = str(caught.value)
    assert message.startswith(f"{target}: connection lost")
    assert message.count(str(target)) == 1  # translated once, not wrapped again
    await wait_until(session.is_closed, what="the pooled connection to end")
    assert pool.cached(target) is None
    with pytest.raises(SshDisconnected, match=f"^{target}: connection lost"):
        await session.run("true")  # a session kept past its end
    with pytest.raises(SshUnreachable, match=f"connection refused by 127.0.0.1:{sshd.port}"):
        await pool.run(target, "true", timeout=10)


async def test_sftp_reads_writes_atomically_stats_and_lists(
    pool: SshPool, sshd: SshdServer, tmp_path: Path
) -> None:
    folder = sshd.shared_dir() / "remote"  # the login user owns it
    folder.mkdir()
    shutil.chown(folder, sshd.user, sshd.user)
    (folder / "sub").mkdir()
    dest = folder / "notes.txt"
    dest.write_text("old")
    async with pool.sftp(sshd.target()) as files:
        await files.write(str(dest), b"new \x00 bytes", mode=0o640)
        assert dest.read_bytes() == b"new \x00 bytes"
        assert dest.stat().st_mode & 0o777 == 0o640
        assert await files.read(str(dest)) == b"new \x00 bytes"
        assert await files.read(str(dest), max_bytes=3) == b"new"
        info = await files.stat(str(dest))
        assert (info.size, info.mode, info.is_dir) == (11, 0o640, False)
        assert info.mtime == pytest.approx(dest.stat().st_mtime, abs=1)
        entries = await files.listdir(str(folder))
        assert [(e.name, e.stat.is_dir) for e in entries] == [("notes.txt", False), ("sub", True)]
        with pytest.raises(RemoteFileError) as missing:
            await files.read(str(folder / "missing"))
        with pytest.raises(RemoteFileError) as unwritable:
            await files.write("/nonexistent/dir/x", b"x")
    assert missing.value.reason == "No such file" and missing.value.path == str(folder / "missing")
    assert str(missing.value).startswith(f"cannot read {folder / 'missing'} on {sshd.target()}:")
    assert "cannot write /nonexistent/dir/x" in str(unwritable.value)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "sub"]  # no temp file left


class Collect:
    """A `ChannelReceiver` that keeps what arrives."""

    def __init__(self) -> None:
        self.data = b""
        self.closed: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def channel_data(self, data: bytes) -> None:
        self.data += data

    def channel_eof(self) -> bool:
        return False

    def channel_closed(self, reason: str | None) -> None:
        if not self.closed.done():
            self.closed.set_result(reason)

    def channel_pause(self) -> None:
        pass

    def channel_resume(self) -> None:
        pass


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"echo: " + await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_channels_and_local_forwards_reach_host_ports(
    pool: SshPool, sshd: SshdServer, echo_port: int
) -> None:
    session = await pool.connect(sshd.target())
    receiver = Collect()
    async with asyncio.timeout(WAIT):
        channel = await session.open_channel("127.0.0.1", echo_port, receiver)
        channel.write(b"through a channel\n")
        assert await receiver.closed is None  # the echo server hung up cleanly
    assert receiver.data == b"echo: through a channel\n"
    closed = free_port()
    with pytest.raises(SshChannelRefused) as refused:
        await session.open_channel("127.0.0.1", closed, Collect())
    assert refused.value.kind == "connect-failed" and refused.value.reason
    assert str(refused.value).startswith(
        f"{sshd.target()} refused to open a connection to 127.0.0.1:{closed}:"
    )
    forward = await session.forward_local("127.0.0.1", 0, "127.0.0.1", echo_port)
    try:
        async with asyncio.timeout(WAIT):
            reader, writer = await asyncio.open_connection("127.0.0.1", forward.port)
            writer.write(b"through -L\n")
            assert await reader.read() == b"echo: through -L\n"
            writer.close()
    finally:
        forward.close()
    assert sshd.accepted_logins() == 1
