"""TunnelManager's state machine, counters, reconnects and persistence, without SSH.

A fake connection source stands in for the pool: "the node" is this machine and each channel is
a plain TCP connection, so the real listener, the real byte pumps and the real SOCKS code run.
The integration tests do the same against OpenSSH's sshd and the demo nodes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until
from tui.core.clock import ManualClock
from tui.core.errors import (
    ClusterdeckError,
    SshAuthError,
    SshChannelRefused,
    SshUnreachable,
    TunnelError,
)
from tui.core.models import Job, JobState, SshTarget
from tui.core.ssh.forwarding import ChannelReceiver, WriteGate
from tui.core.tunnels import (
    Backoff,
    EventKind,
    Tunnel,
    TunnelEvent,
    TunnelKind,
    TunnelManager,
    TunnelSpec,
    TunnelState,
)

TARGET = SshTarget("127.0.0.1", 2222, "alice")
WAIT = 10.0


class FakeChannel(asyncio.Protocol):
    """A "direct-tcpip channel" that is a TCP connection from this process."""

    def __init__(self, receiver: ChannelReceiver) -> None:
        self.receiver = receiver
        self.transport: asyncio.Transport | None = None
        self._done = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.receiver.channel_data(data)

    def eof_received(self) -> bool:
        if not self.receiver.channel_eof():
            self.close()  # both sides said EOF: sshd closes the channel
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(None)

    def pause_writing(self) -> None:
        self.receiver.channel_pause()

    def resume_writing(self) -> None:
        self.receiver.channel_resume()

    # the ForwardChannel methods the tunnel uses
    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def write_eof(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write_eof()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self._end(None)

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    def lose(self, reason: str) -> None:
        if self.transport is not None:
            self.transport.abort()
        self._end(reason)

    def _end(self, reason: str | None) -> None:
        if not self._done:
            self._done = True
            self.receiver.channel_closed(reason)


class FakeSession:
    """Enough of `SshSession` for a tunnel."""

    def __init__(self) -> None:
        self._closed = asyncio.Event()
        self.channels: list[FakeChannel] = []
        self.gate = WriteGate()

    def is_closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def drop(self) -> None:
        """The connection dies: every channel is lost mid-way."""
        for chan in self.channels:
            chan.lose("Connection lost")
        self._closed.set()

    def write_gate(self) -> WriteGate:
        return self.gate

    async def open_channel(
        self, host: str, port: int, receiver: ChannelReceiver, *, origin: tuple[str, int]
    ) -> FakeChannel:
        if self.is_closed():
            raise SshChannelRefused("closed", reason="SSH connection closed", kind="connect-failed")
        chan = FakeChannel(receiver)
        try:
            await asyncio.get_running_loop().create_connection(lambda: chan, host, port)
        except OSError:
            raise SshChannelRefused(
                "refused", reason="Connection refused", kind="connect-failed"
            ) from None
        self.channels.append(chan)
        return chan


class FakePool:
    def __init__(self) -> None:
        self.conn: FakeSession | None = None
        self.fail: ClusterdeckError | None = None
        self.connects = 0

    async def connect(self, target: SshTarget) -> Any:
        self.connects += 1
        if self.fail is not None:
            raise self.fail
        if self.conn is None or self.conn.is_closed():
            self.conn = FakeSession()
        return self.conn

    def last_loss(self, target: SshTarget) -> Exception | None:
        return ConnectionError("Connection lost")


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
def pool() -> FakePool:
    return FakePool()


@pytest.fixture
async def manager(
    pool: FakePool, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[TunnelManager]:
    manager = TunnelManager(
        pool,
        clock=clock,
        state_path=tmp_path / "state" / "tunnels.json",
        backoff=Backoff(initial=0.5, maximum=2.0),
        counter_interval=0.05,
        connect_wait=WAIT,
    )
    yield manager
    await manager.close()


def spec(port: int, **changes: Any) -> TunnelSpec:
    base: dict[str, Any] = {"node": "master-0", "remote_port": port, "target": TARGET}
    return TunnelSpec(**(base | changes))


async def listening(manager: TunnelManager, tunnel: Tunnel) -> Tunnel:
    return await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)


async def roundtrip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    writer.write_eof()
    async with asyncio.timeout(WAIT):
        data = await reader.read(-1)
    writer.close()
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_bytes_flow_and_are_counted(manager: TunnelManager, echo_port: int) -> None:
    events: list[TunnelEvent] = []
    manager.subscribe(events.append)
    tunnel = await manager.open(spec(echo_port))
    assert tunnel.state is TunnelState.STARTING
    tunnel = await listening(manager, tunnel)
    payload = os.urandom(3_000_000)
    assert await roundtrip(tunnel.local_port, payload) == payload
    await wait_until(lambda: tunnel.counters.bytes_down == len(payload), what="bytes down")
    assert tunnel.counters.bytes_up == len(payload)
    await wait_until(lambda: tunnel.counters.open == 0, what="connection closed")
    assert tunnel.counters.total == 1 and tunnel.state is TunnelState.LISTENING
    states = [e.message for e in events if e.kind is EventKind.STATE]
    assert states[:3] == ["listening", "active (1)", "listening"]
    await wait_until(lambda: any(e.kind is EventKind.COUNTERS for e in events), what="counters")
    counters = [e for e in events if e.kind is EventKind.COUNTERS]
    assert len(counters) < 40  # coalesced, not one per chunk
    assert tunnel.listening_socket.getsockname()[0] == "127.0.0.1"


async def test_port_in_use_names_the_port(manager: TunnelManager) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(TunnelError) as info:
            await manager.open(spec(80, local_port=port))
    assert info.value.message == (
        f"local port {port} is already in use on 127.0.0.1; choose another port, "
        "or 0 for any free port"
    )
    assert manager.tunnels == []


async def test_bad_input_is_refused_before_binding(manager: TunnelManager) -> None:
    for bad, message in [
        (spec(70000), "remote port 70000 is out of range"),
        (spec(80, local_port=65536), "local port 65536 is out of range"),
        (spec(80, local_port=80), "privileged"),
        (spec(80, target=None), "no way to reach node master-0"),
    ]:
        with pytest.raises(TunnelError, match=message):
            await TunnelManager(FakePool(), is_root=False).open(bad)
    assert manager.tunnels == []


async def test_refused_destination_is_an_error_on_the_tunnel(manager: TunnelManager) -> None:
    errors: list[str] = []
    manager.subscribe(lambda e: errors.append(e.message) if e.kind is EventKind.ERROR else None)
    tunnel = await listening(manager, await manager.open(spec(free_port())))
    assert await roundtrip(tunnel.local_port, b"hello") == b""
    await wait_until(lambda: errors, what="error event")
    assert tunnel.last_error is not None
    assert tunnel.last_error.startswith("master-0 could not connect to localhost:")
    assert tunnel.last_error.endswith(": Connection refused")
    assert tunnel.counters.errors == 1
    await listening(manager, tunnel)  # the refused client is gone; the tunnel still listens


async def test_unreachable_node_fails_and_frees_the_port(
    manager: TunnelManager, pool: FakePool
) -> None:
    pool.fail = SshUnreachable("connection refused by 127.0.0.1:2222 — is sshd running there?")
    tunnel = await manager.open(spec(80))
    port = tunnel.local_port
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.FAILED)
    assert tunnel.state_text == (
        "failed: node unreachable: connection refused by 127.0.0.1:2222 — is sshd running there?"
    )
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # released


async def test_auth_failure_is_not_retried(manager: TunnelManager, pool: FakePool) -> None:
    tunnel = await listening(manager, await manager.open(spec(80)))
    assert pool.conn is not None
    pool.fail = SshAuthError("127.0.0.1 refused every key")
    pool.conn.drop()
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.FAILED)
    assert "SSH authentication failed: 127.0.0.1 refused every key" in tunnel.state_text


async def test_reconnects_with_backoff_on_the_same_port(
    manager: TunnelManager, pool: FakePool, clock: ManualClock, echo_port: int
) -> None:
    tunnel = await listening(manager, await manager.open(spec(echo_port)))
    port = tunnel.local_port
    assert pool.conn is not None
    pool.fail = SshUnreachable("connection refused by 127.0.0.1:2222")
    pool.conn.drop()
    await manager.wait_for(tunnel, lambda t: t.attempt == 1)
    assert tunnel.state is TunnelState.RECONNECTING
    assert tunnel.reason == "connection refused by 127.0.0.1:2222 (attempt 1, next in 0.5 s)"
    # a client arriving now waits for the reconnect instead of being dropped
    waiting = asyncio.create_task(roundtrip(port, b"queued"))
    clock.advance(0.5)
    await manager.wait_for(tunnel, lambda t: t.attempt == 2)
    assert "next in 1 s" in tunnel.reason
    pool.fail = None
    clock.advance(1.0)
    await listening(manager, tunnel)
    assert tunnel.local_port == port
    assert await waiting == b"queued"
    assert await roundtrip(port, b"after") == b"after"


async def test_clients_are_refused_cleanly_when_ssh_stays_down(
    pool: FakePool, clock: ManualClock
) -> None:
    manager = TunnelManager(pool, clock=clock, connect_wait=0.2)
    tunnel = await listening(manager, await manager.open(spec(80)))
    assert pool.conn is not None
    pool.fail = SshUnreachable("no route to host")
    pool.conn.drop()
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.RECONNECTING)
    assert await roundtrip(tunnel.local_port, b"x") == b""
    await wait_until(lambda: tunnel.last_error is not None, what="refusal recorded")
    assert "no SSH connection to master-0 after 0.2 s" in (tunnel.last_error or "")
    await manager.close()


async def test_connection_lost_mid_transfer(
    manager: TunnelManager, pool: FakePool, echo_port: int
) -> None:
    tunnel = await listening(manager, await manager.open(spec(echo_port)))
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    writer.write(b"part one")
    assert await reader.readexactly(8) == b"part one"
    assert pool.conn is not None
    pool.conn.drop()
    async with asyncio.timeout(WAIT):
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await reader.readexactly(1)
    writer.close()
    assert tunnel.last_error == "connection lost mid-transfer (SSH to master-0: Connection lost)"
    await listening(manager, tunnel)


async def test_socks_forward(manager: TunnelManager, echo_port: int) -> None:
    tunnel = await listening(manager, await manager.open(spec(0, kind=TunnelKind.SOCKS)))
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    writer.write(b"\x05\x01\x00")
    assert await reader.readexactly(2) == b"\x05\x00"
    writer.write(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + echo_port.to_bytes(2, "big") + b"ping")
    assert (await reader.readexactly(10))[:2] == b"\x05\x00"
    assert await reader.readexactly(4) == b"ping"
    writer.close()
    # a refused destination gets SOCKS "connection refused", not a silent close
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    writer.write(b"\x05\x01\x00\x05\x01\x00\x01\x7f\x00\x00\x01" + free_port().to_bytes(2, "big"))
    assert await reader.readexactly(2) == b"\x05\x00"
    assert (await reader.readexactly(10))[:2] == b"\x05\x05"
    writer.close()
    assert tunnel.url.startswith("socks5h://127.0.0.1:")


async def test_job_end_closes_its_tunnels_with_the_reason(
    manager: TunnelManager, tmp_path: Path
) -> None:
    mine = await manager.open(spec(80, job_key="demo:1", job_name="cfd"))
    other = await manager.open(spec(81, job_key="demo:2"))
    await listening(manager, mine)
    closed = await manager.close_for_job("demo:1", "job cfd completed")
    assert closed == [mine]
    assert mine.state_text == "closed: job cfd completed"
    assert other.state.is_open
    saved = (tmp_path / "state" / "tunnels.json").read_text()
    assert '"demo:2"' in saved and '"demo:1"' not in saved
    jobs = [
        Job("2", "md", JobState.FAILED, provider="demo", ended=datetime(2026, 1, 1, tzinfo=UTC)),
    ]
    assert await manager.sync_jobs(jobs) == [other]
    assert other.state_text == "closed: job md failed"
    third = await manager.open(spec(82, job_key="demo:3"))
    assert await manager.sync_jobs([Job("9", "x", JobState.RUNNING, provider="demo")]) == [third]
    assert "gone" in third.reason


async def test_saved_and_restored_per_job(pool: FakePool, tmp_path: Path, echo_port: int) -> None:
    path = tmp_path / "tunnels.json"
    first = TunnelManager(pool, state_path=path)
    any_port = await first.open(spec(echo_port, job_key="demo:1", name="web"))
    fixed = free_port()
    await first.open(spec(echo_port, job_key="demo:1", local_port=fixed))
    await first.open(spec(echo_port, job_key="demo:2"))
    remembered = any_port.local_port
    await first.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    second = TunnelManager(pool, state_path=path)
    restored = await second.restore(["demo:1"])
    assert [t.spec.name for t in restored] == ["web", ""]
    assert [t.local_port for t in restored] == [remembered, fixed]
    for tunnel in restored:
        await listening(second, tunnel)
    assert await roundtrip(remembered, b"back") == b"back"
    assert await second.restore(["demo:1"]) == []  # already open
    await second.remove(restored[1].id)
    await second.close()
    text = path.read_text()
    assert '"demo:2"' in text and f'"local_port": {fixed}' not in text


async def test_restore_with_a_taken_port_shows_a_failed_tunnel(
    pool: FakePool, tmp_path: Path
) -> None:
    path = tmp_path / "tunnels.json"
    first = TunnelManager(pool, state_path=path)
    fixed = free_port()
    await first.open(spec(80, job_key="demo:1", local_port=fixed))
    await first.close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", fixed))
        busy.listen()
        second = TunnelManager(pool, state_path=path)
        [tunnel] = await second.restore(["demo:1"])
    assert tunnel.state is TunnelState.FAILED
    assert f"local port {fixed} is already in use" in tunnel.reason
    await listening(second, await second.restart(tunnel.id))
    assert tunnel.local_port == fixed
    await second.close()


async def test_restart_keeps_the_port_and_warnings_are_events(
    manager: TunnelManager, echo_port: int
) -> None:
    events: list[TunnelEvent] = []
    unsubscribe = manager.subscribe(events.append)
    tunnel = await listening(manager, await manager.open(spec(echo_port, bind_address="0.0.0.0")))
    assert next(e.message for e in events if e.kind is EventKind.ERROR).startswith(
        "listening on 0.0.0.0, not 127.0.0.1"
    )
    port = tunnel.local_port
    await listening(manager, await manager.restart(tunnel.id))
    assert tunnel.local_port == port
    assert await roundtrip(port, b"again") == b"again"
    unsubscribe()
    count = len(events)
    await manager.remove(tunnel.id)
    assert len(events) == count and manager.tunnels == []


async def test_privileged_port_as_root_opens_with_a_warning(pool: FakePool) -> None:
    if os.geteuid() != 0:
        pytest.skip("binding a port below 1024 needs root")
    port = next(p for p in range(1023, 900, -1) if _free(p))
    manager = TunnelManager(pool)
    tunnel = await manager.open(spec(80, local_port=port))
    assert tunnel.local_port == port
    assert tunnel.warnings == (
        f"local port {port} is privileged (below 1024); allowed because clusterdeck runs as root",
    )
    await manager.close()


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_connections_over_the_limit_are_refused_and_counted(
    manager: TunnelManager, echo_port: int
) -> None:
    tunnel = await listening(manager, await manager.open(spec(echo_port)))
    tunnel.max_connections = 2
    held = [await asyncio.open_connection("127.0.0.1", tunnel.local_port) for _ in range(2)]
    await wait_until(lambda: tunnel.counters.open == 2, what="two open")
    assert await roundtrip(tunnel.local_port, b"third") == b""  # refused: EOF, nothing echoed
    await wait_until(lambda: tunnel.counters.errors == 1, what="the refusal counted")
    assert tunnel.last_error is not None and "already has 2 open connections" in tunnel.last_error
    assert tunnel.counters.open == 2
    reader, writer = held[0]
    writer.write(b"ping")
    async with asyncio.timeout(WAIT):
        assert await reader.readexactly(4) == b"ping"  # the ones inside the limit still work
    for _, w in held:
        w.close()
    await wait_until(lambda: tunnel.counters.open == 0, what="closed")
    assert await roundtrip(tunnel.local_port, b"again") == b"again"  # room again
