"""Connection failures become messages a user understands (loopback only, no sshd needed)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tui.core.errors import SshError, SshUnreachable
from tui.core.models import SshTarget
from tui.core.ssh.diagnose import connect_error, lost_reason
from tui.core.ssh.pool import SshPool
from tui.core.ssh.resolve import resolve_target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[SshPool]:
    pool = SshPool(known_hosts_paths=[tmp_path / "known_hosts"], connect_timeout=5)
    yield pool
    await pool.close()


async def test_refused(pool: SshPool) -> None:
    port = _free_port()
    with pytest.raises(SshUnreachable) as caught:
        async with asyncio.timeout(10):
            await pool.connect(SshTarget("127.0.0.1", port))
    assert caught.value.message == (
        f"connection refused by 127.0.0.1:{port} — is sshd running there?"
    )
    assert caught.value.__cause__ is not None  # the original error is kept for logs


async def test_unknown_host_name(pool: SshPool) -> None:
    with pytest.raises(
        SshUnreachable, match=r"cannot resolve the host name 'no-such-node\.invalid'"
    ):
        async with asyncio.timeout(10):
            await pool.connect(SshTarget("no-such-node.invalid"))


async def test_silent_server_times_out(tmp_path: Path) -> None:
    """A port that accepts but never speaks SSH: the connect timeout must fire."""
    accepted = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = SshPool(known_hosts_paths=[tmp_path / "kh"], connect_timeout=0.3)
    try:
        with pytest.raises(SshUnreachable) as caught:
            async with asyncio.timeout(10):
                await pool.connect(SshTarget("127.0.0.1", port))
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
    assert accepted.is_set()
    assert caught.value.message.startswith(f"timed out after 0.3 s connecting to 127.0.0.1:{port}")


async def test_a_closed_pool_refuses_new_connections(pool: SshPool) -> None:
    await pool.close()
    with pytest.raises(SshError, match="pool is closed"):
        await pool.connect(SshTarget("127.0.0.1", _free_port()))


async def test_other_failures_are_worded_for_users() -> None:
    resolved = await resolve_target(SshTarget("n", 2022, "u", jump=SshTarget("gw")), [])
    lost = connect_error(asyncssh.ConnectionLost("Connection lost"), resolved)
    assert "n:2022 closed the connection during setup" in str(lost)
    hop = connect_error(asyncssh.ChannelOpenError(2, "Connection refused"), resolved)
    assert isinstance(hop, SshUnreachable)
    assert str(hop).startswith("jump host gw could not open a connection to n:2022")
    assert lost_reason(None) == "connection closed"
    assert lost_reason(asyncssh.ConnectionLost("Connection lost")) == "connection lost"
    assert lost_reason(asyncssh.ConnectionLost("Server not responding to keepalive")) == (
        "connection lost: server not responding to keepalive"
    )
    assert lost_reason(ConnectionResetError(104, "Connection reset by peer")).endswith("by peer")


async def test_closing_the_pool_mid_connect_is_an_error_not_a_cancellation(tmp_path: Path) -> None:
    accepted = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = SshPool(known_hosts_paths=[tmp_path / "kh"], connect_timeout=30)
    try:
        attempt = asyncio.create_task(pool.connect(SshTarget("127.0.0.1", port)))
        async with asyncio.timeout(10):
            await accepted.wait()
            await pool.close()
            with pytest.raises(SshError, match="closed while connecting"):
                await attempt
    finally:
        server.close()
        await server.wait_closed()
