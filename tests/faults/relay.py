"""A loopback TCP relay that can break the network between a client and a server on purpose.

    relay = TcpRelay(upstream_port)
    await relay.start()                  # 127.0.0.1:relay.port -> 127.0.0.1:upstream_port
    await relay.cut()                    # reset every relayed connection (RST both ways)
    relay.blackhole()                    # stop moving bytes, close nothing: a silent network
    relay.restore()                      # forward again (held connections are reset)
    relay.hijack(answer)                 # new connections get `answer(reader, writer)` instead
    await relay.close()

It runs in the test's own event loop (asyncio protocols, flow control passed through), listens on
127.0.0.1 only, and touches nothing but the sockets it made.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def reset(transport: asyncio.Transport | None) -> None:
    """Close `transport` with a TCP reset (SO_LINGER 0), not an orderly FIN."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _Side(asyncio.Protocol):
    """One socket of a relayed pair; what it reads is written to its peer."""

    def __init__(self, pair: _Pair) -> None:
        self.pair = pair
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.held: list[bytes] = []
        self.eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.pair.relay.bytes_relayed += len(data)
        peer = self.peer
        if peer is None or peer.transport is None:
            self.held.append(data)
        else:
            peer.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is not None and peer.transport is not None and peer.transport.can_write_eof():
            peer.transport.write_eof()
        return True  # half-open: the other direction may still be moving

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.pair.side_lost(self, exc)

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.pair.frozen:
            return
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class _Pair:
    """A client connection and its upstream connection."""

    def __init__(self, relay: TcpRelay) -> None:
        self.relay = relay
        self.client = _Side(self)
        self.upstream = _Side(self)
        self.frozen = False
        self.closed = False

    def link(self) -> None:
        self.client.peer, self.upstream.peer = self.upstream, self.client
        for side in (self.client, self.upstream):
            peer = side.peer
            assert peer is not None
            if peer.transport is not None:
                for data in side.held:
                    peer.transport.write(data)
            side.held.clear()
        if self.client.eof and self.upstream.transport is not None:
            self.upstream.transport.write_eof()

    def freeze(self) -> None:
        """Read nothing more from either side: bytes stay in the kernel, nothing is closed."""
        self.frozen = True
        for side in (self.client, self.upstream):
            if side.transport is not None:
                side.transport.pause_reading()

    def reset(self) -> None:
        self.closed = True
        reset(self.client.transport)
        reset(self.upstream.transport)

    def side_lost(self, side: _Side, exc: Exception | None) -> None:
        peer = side.peer
        if self.frozen:
            return  # a silent network passes no FIN or RST on
        if peer is not None and peer.transport is not None:
            if exc is None:
                peer.transport.close()
            else:
                reset(peer.transport)
        if self.client.transport is None and self.upstream.transport is None:
            self.closed = True
            self.relay.pairs.discard(self)


class TcpRelay:
    """127.0.0.1:`port` forwarded to 127.0.0.1:`upstream`, with faults on demand."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = 0
        self.pairs: set[_Pair] = set()
        self.accepted = 0
        self.cuts = 0
        self.bytes_relayed = 0
        self._server: asyncio.Server | None = None
        self._blackhole = False
        self._answer: Answer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._answering: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accepted, "127.0.0.1", self.port or 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for pair in list(self.pairs):
            pair.reset()
        self.pairs.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    # --- faults ------------------------------------------------------------------------------

    @property
    def live(self) -> int:
        """Relayed connections open now."""
        return sum(1 for pair in self.pairs if not pair.closed)

    async def cut(self) -> int:
        """Reset every relayed connection (both ends get an RST); new ones are relayed as usual.

        Returns how many connections were cut.
        """
        pairs = [pair for pair in self.pairs if not pair.closed]
        for pair in pairs:
            pair.reset()
        self.pairs.clear()
        self.cuts += len(pairs)
        await asyncio.sleep(0)  # let the loop deliver the resets
        return len(pairs)

    def blackhole(self) -> None:
        """Stop moving bytes, on open and on new connections; close nothing (a silent network)."""
        self._blackhole = True
        for pair in self.pairs:
            pair.freeze()

    def restore(self) -> None:
        """Forward again; connections held by the blackhole or answered by `hijack` are reset."""
        self._blackhole = False
        self._answer = None
        for task in list(self._answering):
            task.cancel()
        for pair in list(self.pairs):
            if pair.frozen:
                pair.reset()
                self.pairs.discard(pair)

    def hijack(self, answer: Answer) -> None:
        """New connections are answered by `answer` (not relayed) until `restore()`."""
        self._answer = answer

    # --- internals ---------------------------------------------------------------------------

    def _accepted(self) -> asyncio.Protocol:
        self.accepted += 1
        if self._answer is not None:
            return _Answering(self, self._answer)
        pair = _Pair(self)
        self.pairs.add(pair)
        if self._blackhole:
            pair.frozen = True
            return _Frozen(pair)
        task = asyncio.get_running_loop().create_task(self._connect(pair))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return pair.client

    async def _connect(self, pair: _Pair) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: pair.upstream, "127.0.0.1", self.upstream)
        except OSError:
            reset(pair.client.transport)  # upstream down: refuse the way a dead host would
            self.pairs.discard(pair)
            return
        if pair.closed or pair.client.transport is None:
            reset(pair.upstream.transport)
            return
        pair.link()


class _Frozen(_Side):
    """A connection accepted while the network is a blackhole: never read, never answered."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert self.transport is not None
        self.transport.pause_reading()


class _Answering(asyncio.Protocol):
    """A connection answered by a test's coroutine (through streams)."""

    def __init__(self, relay: TcpRelay, answer: Answer) -> None:
        self.relay = relay
        self.answer = answer
        self.reader = asyncio.StreamReader()
        self.stream: asyncio.StreamReaderProtocol = asyncio.StreamReaderProtocol(self.reader)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.stream.connection_made(transport)
        writer = asyncio.StreamWriter(
            transport, self.stream, self.reader, asyncio.get_running_loop()
        )
        task = asyncio.get_running_loop().create_task(self._run(transport, writer))
        for tasks in (self.relay._tasks, self.relay._answering):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _run(self, transport: asyncio.Transport, writer: asyncio.StreamWriter) -> None:
        try:
            await self.answer(self.reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            reset(transport)

    def data_received(self, data: bytes) -> None:
        self.stream.data_received(data)

    def eof_received(self) -> bool:
        return bool(self.stream.eof_received())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream.connection_lost(exc)

    def pause_writing(self) -> None:
        self.stream.pause_writing()

    def resume_writing(self) -> None:
        self.stream.resume_writing()
