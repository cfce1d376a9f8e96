"""The byte pumps of a tunnel: a local TCP connection joined to one SSH `direct-tcpip` channel.

Both sides are callbacks (an asyncio protocol here, a `ChannelReceiver` for the SSH layer; no
streams, no copies, no per-chunk tasks), plus byte counters and errors reported to the owning
tunnel. Flow control is passed through: a full SSH window pauses reading from the local socket
and a slow local reader pauses the channel.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Coroutine
from typing import Any, Protocol

from tui.core.errors import SshChannelRefused, SshError, TunnelError
from tui.core.ssh.diagnose import TOO_MANY_FILES
from tui.core.ssh.forwarding import ForwardChannel, WriteGate
from tui.core.ssh.session import SshSession
from tui.core.tunnels.model import TunnelKind, TunnelSpec, format_host
from tui.core.tunnels.socks import (
    REP_GENERAL_FAILURE,
    REP_HOST_UNREACHABLE,
    REP_NOT_ALLOWED,
    REP_OK,
    REP_REFUSED,
    SocksError,
    SocksHandshake,
    reply,
)

LISTEN_BACKLOG = 512
LINGER = 2.0
"""Seconds a refused client gets to read our EOF before its socket is closed."""
COALESCE_WRITES = True
"""Join the channel data of one loop turn into one write to the client (fewer syscalls)..."""
FLUSH_PACKETS = 4
"""...but write once this many packets are queued, so the client reads meanwhile."""


class ForwardHost(Protocol):
    """What a connection needs from its tunnel."""

    @property
    def spec(self) -> TunnelSpec:
        """The tunnel's request (destination, kind)."""
        ...

    async def ssh_connection(self) -> SshSession:
        """The open SSH connection, waiting while it reconnects. Raises TunnelError."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` as a task the tunnel cancels when it closes."""

    def connection_opened(self, conn: LocalConnection) -> None:
        """A local client connected."""

    def connection_closed(self, conn: LocalConnection) -> None:
        """A local client's connection ended."""

    def count_up(self, nbytes: int) -> None:
        """`nbytes` went from a local client to the node."""

    def count_down(self, nbytes: int) -> None:
        """`nbytes` came from the node to a local client."""

    def connection_failed(self, message: str) -> None:
        """One connection failed; the tunnel itself keeps listening."""


_SOCKS_CODES = {"connect-failed": REP_REFUSED, "prohibited": REP_NOT_ALLOWED}
"""SOCKS replies for `SshChannelRefused.kind` (anything else: host unreachable)."""


class LocalConnection(asyncio.Protocol):
    """One client of the local port, joined to a channel once the node accepted it.

    It is the channel's `ChannelReceiver` (the `channel_*` methods) and a `WriteGate` waiter.
    """

    def __init__(self, host: ForwardHost) -> None:
        self._host = host
        self._transport: asyncio.Transport | None = None
        self._chan: ForwardChannel | None = None
        self._gate: WriteGate | None = None
        self._chan_paused = False
        self._gate_paused = False
        self._pending: list[bytes] = []
        self._socks = SocksHandshake() if host.spec.kind is TunnelKind.SOCKS else None
        self._socks_version = 0
        self._eof = False
        self._remote_eof = False
        self._closed = False
        self._draining = False
        self._peer: tuple[str, int] = ("", 0)
        self._out: list[bytes] = []
        """Channel data of this loop turn, written to the client as one write on the next."""

    # --- the local socket ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in {socket.AF_INET, socket.AF_INET6}:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self._peer = (str(peer[0]), int(peer[1]))
        self._host.connection_opened(self)
        if self._draining:
            return  # refused: the tunnel is full
        if self._socks is None:
            transport.pause_reading()  # nothing to read until the node accepted
            spec = self._host.spec
            self._host.spawn(self._open(spec.remote_host, spec.remote_port))

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return
        if self._chan is not None:
            self._host.count_up(len(data))
            self._chan.write(data)
            gate = self._gate
            if gate is not None and gate.paused and not self._gate_paused:
                self._gate_paused = True
                gate.hold(self)
                self._pause_local()
        elif self._socks is not None and self._socks_version == 0:
            self._socks_data(data)
        else:
            self._pending.append(data)

    def eof_received(self) -> bool:
        self._eof = True
        if self._draining:
            return False
        if self._chan is not None:
            self._chan.write_eof()
        return not self._remote_eof

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._transport = None
        if self._gate is not None:
            self._gate.release(self)
        if self._chan is not None:
            self._chan.close()
            self._chan = None
        self._host.connection_closed(self)

    def pause_writing(self) -> None:
        if self._chan is not None:
            self._chan.pause_reading()

    def resume_writing(self) -> None:
        if self._chan is not None:
            self._chan.resume_reading()

    def close(self) -> None:
        """Drop the client and the channel (tunnel closing)."""
        if self._transport is not None:
            self._transport.abort()
        if self._chan is not None:
            self._chan.close()

    # --- SOCKS -----------------------------------------------------------------------------------

    def _socks_data(self, data: bytes) -> None:
        assert self._socks is not None and self._transport is not None
        try:
            answer, request = self._socks.feed(data)
        except SocksError as exc:
            self._host.connection_failed(f"SOCKS client {self._peer[0]}: {exc}")
            if exc.reply:
                self._transport.write(exc.reply)
            self._transport.close()
            return
        if answer:
            self._transport.write(answer)
        if request is not None:
            self._socks_version = request.version
            if request.rest:
                self._pending.append(request.rest)
            self._transport.pause_reading()
            self._host.spawn(self._open(request.host, request.port))

    # --- the channel -----------------------------------------------------------------------------

    async def _open(self, host: str, port: int) -> None:
        where = f"{format_host(host)}:{port}"
        node = self._host.spec.node
        try:
            session = await self._host.ssh_connection()
            if self._closed:
                return
            chan = await session.open_channel(host, port, self, origin=self._peer)
        except TunnelError as exc:
            self._refuse(f"connection to {where} refused: {exc.message}", REP_GENERAL_FAILURE)
            return
        except SshChannelRefused as exc:
            code = _SOCKS_CODES.get(exc.kind, REP_HOST_UNREACHABLE)
            self._refuse(f"{node} could not connect to {where}: {exc.reason}", code)
            return
        except SshError as exc:
            self._refuse(f"SSH to {node} failed while opening {where}: {exc.message}", REP_REFUSED)
            return
        if self._closed or self._transport is None:
            chan.close()
            return
        self._chan = chan
        self._gate = session.write_gate()
        if self._socks_version:
            self._transport.write(reply(self._socks_version, REP_OK))
        for data in self._pending:
            self._host.count_up(len(data))
            chan.write(data)
        self._pending.clear()
        if self._eof:
            chan.write_eof()
        self._resume_local()

    def refuse(self, message: str) -> None:
        """Refuse this client before any channel opens (counted as a failed connection)."""
        self._refuse(message, REP_GENERAL_FAILURE)

    def _refuse(self, message: str, socks_code: int) -> None:
        """Tell the client no: an orderly EOF (a close with unread data would be a reset)."""
        if self._closed:
            return
        self._host.connection_failed(message)
        transport = self._transport
        if transport is None:
            return
        if self._socks_version:
            transport.write(reply(self._socks_version, socks_code))
        self._draining = True
        self._pending.clear()
        if transport.can_write_eof():
            transport.write_eof()
        transport.resume_reading()
        asyncio.get_running_loop().call_later(LINGER, transport.close)

    # --- ChannelReceiver ---------------------------------------------------------------------

    def channel_data(self, data: bytes) -> None:
        self._host.count_down(len(data))
        if self._transport is not None:
            if not self._out and COALESCE_WRITES:
                asyncio.get_running_loop().call_soon(self._flush)
                self._out.append(data)
            elif self._out:
                self._out.append(data)
                if len(self._out) >= FLUSH_PACKETS:
                    self._flush()
            else:
                self._transport.write(data)

    def _flush(self) -> None:
        """Write the data queued this turn (one SSH read holds up to eight 32 KiB packets)."""
        out, self._out = self._out, []
        if self._transport is not None and out:
            self._transport.write(out[0] if len(out) == 1 else b"".join(out))

    def channel_eof(self) -> bool:
        self._remote_eof = True
        self._flush()
        if self._transport is not None and self._transport.can_write_eof():
            self._transport.write_eof()
        return not self._eof

    def channel_closed(self, reason: str | None) -> None:
        self._chan = None
        if self._closed:
            return
        self._flush()
        if reason is not None:
            self._host.connection_failed(
                f"connection lost mid-transfer (SSH to {self._host.spec.node}: {reason})"
            )
            if self._transport is not None:
                self._transport.abort()
        elif self._transport is not None:
            self._transport.close()

    def _pause_local(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def _resume_local(self) -> None:
        if self._transport is not None and not (self._chan_paused or self._gate_paused):
            self._transport.resume_reading()

    def channel_pause(self) -> None:
        self._chan_paused = True
        self._pause_local()

    def channel_resume(self) -> None:
        self._chan_paused = False
        self._resume_local()

    def gate_opened(self) -> None:
        self._gate_paused = False
        self._resume_local()


def bind_listener(address: str, port: int) -> socket.socket:
    """A listening, non-blocking socket on `address:port` (0 = any free port).

    Raises:
        TunnelError: naming the port and what to do (port in use, privileged, bad address).
    """
    try:
        infos = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST
        )
    except socket.gaierror as exc:
        raise TunnelError(f"cannot listen on {address!r}: {exc.strerror}") from None
    family, kind, proto, _, sockaddr = infos[0]
    try:
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise bind_error(exc, address, port) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(sockaddr)
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise bind_error(exc, address, port) from None
    return sock


def bind_error(exc: OSError, address: str, port: int) -> TunnelError:
    """The user-facing message for a failed bind."""
    where = f"{format_host(address)}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return TunnelError(
            f"local port {port} is already in use on {address}; choose another port, "
            "or 0 for any free port",
            title="Port in use",
        )
    if exc.errno in {errno.EMFILE, errno.ENFILE}:
        return TunnelError(f"cannot listen on {where}: {TOO_MANY_FILES}")
    if exc.errno == errno.EACCES:
        return TunnelError(
            f"permission denied listening on {where}: ports below 1024 need root; "
            "use a port from 1024 to 65535, or 0 for any free port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return TunnelError(
            f"{address} is not an address of this machine; use 127.0.0.1 (the default)"
        )
    return TunnelError(f"cannot listen on {where}: {exc.strerror or exc}")
