"""TunnelManager over SshPool against a real OpenSSH sshd on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, free_port
from tui.core.errors import TunnelError
from tui.core.ssh.pool import SshPool
from tui.core.tunnels import Backoff, Tunnel, TunnelKind, TunnelManager, TunnelSpec, TunnelState

pytestmark = pytest.mark.sshd

WAIT = 20.0
MB = 1 << 20


@pytest.fixture
async def pool(tmp_path: Path, sshd: SshdServer) -> AsyncIterator[SshPool]:
    known_hosts = sshd.write_known_hosts(tmp_path / "known_hosts")
    pool = SshPool(known_hosts_paths=[known_hosts], ssh_config_paths=[], use_agent=False)
    yield pool
    await pool.close()


@pytest.fixture
async def manager(pool: SshPool) -> AsyncIterator[TunnelManager]:
    manager = TunnelManager(pool, backoff=Backoff(initial=0.2, maximum=1.0), counter_interval=0.05)
    yield manager
    await manager.close()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A loopback echo server "on the node" (sshd connects to it)."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1 << 16):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=256)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def opened(manager: TunnelManager, spec: TunnelSpec) -> Tunnel:
    tunnel = await manager.open(spec)
    return await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)


def to_echo(sshd: SshdServer, port: int, **changes: object) -> TunnelSpec:
    values: dict[str, object] = {
        "node": "sshd",
        "remote_host": "127.0.0.1",
        "remote_port": port,
        "target": sshd.target(),
    }
    return TunnelSpec(**(values | changes))  # type: ignore[arg-type]


async def echo_through(port: int, payload: bytes) -> bytes:
    """Send `payload` and read as many bytes back, concurrently (no deadlock on big payloads)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send() -> None:
        writer.write(payload)
        await writer.drain()

    sender = asyncio.create_task(send())
    data = await reader.readexactly(len(payload))
    await sender
    writer.close()
    return data


async def test_100_parallel_connections_move_1_mb_each_way_intact(
    manager: TunnelManager, sshd: SshdServer, echo_port: int
) -> None:
    tunnel = await opened(manager, to_echo(sshd, echo_port))
    payloads = [os.urandom(MB) for _ in range(100)]
    async with asyncio.timeout(60):
        echoed = await asyncio.gather(*(echo_through(tunnel.local_port, p) for p in payloads))
    sent = [hashlib.sha256(p).hexdigest() for p in payloads]
    assert [hashlib.sha256(e).hexdigest() for e in echoed] == sent
    await manager.wait_for(
        tunnel, lambda t: t.counters.bytes_down == 100 * MB and t.counters.open == 0, within=WAIT
    )
    assert tunnel.counters.bytes_up == 100 * MB
    assert tunnel.counters.total == 100 and tunnel.counters.errors == 0
    assert sshd.accepted_logins() == 1  # one pooled connection carried all 100 channels


async def test_listener_is_bound_to_loopback_only(
    manager: TunnelManager, sshd: SshdServer, echo_port: int
) -> None:
    tunnel = await opened(manager, to_echo(sshd, echo_port))
    sock = tunnel.listening_socket
    assert sock.getsockname() == ("127.0.0.1", tunnel.local_port)
    assert sock.family == socket.AF_INET
    assert tunnel.warnings == ()


async def test_a_port_in_use_gives_the_error(manager: TunnelManager, sshd: SshdServer) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(TunnelError, match=f"local port {port} is already in use on 127.0.0.1"):
            await manager.open(to_echo(sshd, 80, local_port=port))


async def test_sshd_killed_while_idle_comes_back_on_the_same_port(
    manager: TunnelManager, sshd: SshdServer, echo_port: int
) -> None:
    tunnel = await opened(manager, to_echo(sshd, echo_port))
    port = tunnel.local_port
    assert await echo_through(port, b"before") == b"before"
    await asyncio.to_thread(sshd.stop)
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.RECONNECTING, within=WAIT)
    assert tunnel.listening_socket is not None  # the local port stays held meanwhile
    await asyncio.to_thread(sshd.start)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=5)
    assert loop.time() - started < 5
    assert tunnel.local_port == port
    assert await echo_through(port, b"after") == b"after"
    assert sshd.accepted_logins() == 2


async def test_closing_the_pooled_connection_reconnects(
    manager: TunnelManager, pool: SshPool, sshd: SshdServer, echo_port: int
) -> None:
    tunnel = await opened(manager, to_echo(sshd, echo_port))
    conn = pool.cached(sshd.target())
    assert conn is not None
    conn.close()
    await manager.wait_for(
        tunnel,
        lambda t: (
            t.state is TunnelState.LISTENING and pool.cached(sshd.target()) not in {None, conn}
        ),
        within=WAIT,
    )
    assert await echo_through(tunnel.local_port, b"new channel") == b"new channel"


async def test_connection_lost_mid_transfer(
    manager: TunnelManager, sshd: SshdServer, echo_port: int
) -> None:
    tunnel = await opened(manager, to_echo(sshd, echo_port))
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    writer.write(b"x" * 1000)
    assert len(await reader.readexactly(1000)) == 1000
    await asyncio.to_thread(sshd.stop)
    async with asyncio.timeout(WAIT):
        assert await reader.read() == b""  # cut, not hung
    writer.close()
    await manager.wait_for(tunnel, lambda t: t.last_error is not None, within=WAIT)
    assert (tunnel.last_error or "").startswith("connection lost mid-transfer (SSH to sshd:")
    assert tunnel.state is TunnelState.RECONNECTING


async def test_destination_refused_on_the_node(manager: TunnelManager, sshd: SshdServer) -> None:
    closed = free_port()
    tunnel = await opened(manager, to_echo(sshd, closed))
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    async with asyncio.timeout(WAIT):
        assert await reader.read() == b""
    writer.close()
    await manager.wait_for(tunnel, lambda t: t.counters.errors == 1, within=WAIT)
    assert tunnel.last_error == f"sshd could not connect to 127.0.0.1:{closed}: Connection refused"
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)


async def test_unreachable_node_fails_with_the_reason(
    manager: TunnelManager, sshd: SshdServer
) -> None:
    nothing = free_port()
    tunnel = await manager.open(to_echo(sshd, 80, target=sshd.target(port=nothing)))
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.FAILED, within=WAIT)
    assert tunnel.reason == (
        f"node unreachable: connection refused by 127.0.0.1:{nothing} — is sshd running there?"
    )


async def test_socks_through_sshd(manager: TunnelManager, sshd: SshdServer, echo_port: int) -> None:
    tunnel = await opened(manager, to_echo(sshd, 0, kind=TunnelKind.SOCKS))
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    host = b"127.0.0.1"
    writer.write(b"\x05\x01\x00\x05\x01\x00\x03" + bytes([len(host)]) + host)
    writer.write(echo_port.to_bytes(2, "big") + b"via socks")
    assert await reader.readexactly(2) == b"\x05\x00"
    assert (await reader.readexactly(10))[:2] == b"\x05\x00"
    assert await reader.readexactly(9) == b"via socks"
    writer.close()
