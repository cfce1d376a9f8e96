"""One live tunnel: its listener, its connections, its counters, and the loop that keeps SSH up.

The `TunnelManager` (tui/core/tunnels/manager.py) creates these and relays their events to
subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from tui.core.clock import Clock
from tui.core.errors import HostKeyError, SshAuthError, TunnelError, as_user_error
from tui.core.models import SshTarget
from tui.core.ssh.diagnose import lost_reason
from tui.core.ssh.session import SshSession
from tui.core.tunnels.forward import LocalConnection, bind_listener
from tui.core.tunnels.model import Counters, TunnelSpec, TunnelState, format_host, local_url

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 256
"""Local connections one tunnel serves at once; more are refused, each a counted error."""


class ConnectionSource(Protocol):
    """Where SSH connections come from (`tui.core.ssh.SshPool` is one)."""

    async def connect(self, target: SshTarget) -> SshSession:
        """The pooled connection for `target`. Raises SshError."""
        ...

    def last_loss(self, target: SshTarget) -> Exception | None:
        """Why the last connection to `target` ended."""
        ...


class EventKind(StrEnum):
    """What changed."""

    ADDED = "added"
    STATE = "state"
    """State or reason changed (starting, listening, active, reconnecting, failed, closed)."""
    COUNTERS = "counters"
    """Bytes or connection counts changed (coalesced)."""
    ERROR = "error"
    """One connection failed; the tunnel keeps its state. `message` says why."""
    REMOVED = "removed"


@dataclass(frozen=True)
class TunnelEvent:
    """Sent to every subscriber."""

    kind: EventKind
    tunnel: Tunnel
    message: str = ""


@dataclass(frozen=True)
class Backoff:
    """Seconds between reconnect attempts: `initial`, doubling up to `maximum`."""

    initial: float = 0.5
    maximum: float = 30.0
    attempts: int | None = None
    """Give up (state failed) after this many failed attempts in a row; None: never."""


Resolve = Callable[[TunnelSpec], Awaitable[SshTarget]]
Emit = Callable[["Tunnel", EventKind, str], None]


class Tunnel:
    """A forward from a local port to `host:port` as seen from a node (or a SOCKS proxy).

    Read its properties; change it only through the `TunnelManager`.
    """

    def __init__(
        self,
        tunnel_id: str,
        spec: TunnelSpec,
        *,
        warnings: list[str],
        clock: Clock,
        emit: Emit,
        dirty: Callable[[Tunnel], None],
    ) -> None:
        self.id = tunnel_id
        self._spec = spec
        self.warnings = tuple(warnings)
        self.counters = Counters()
        self.local_port = spec.local_port
        self.reason = ""
        """Why the tunnel is reconnecting, failed or closed."""
        self.last_error: str | None = None
        """The last failed connection (the tunnel itself may be fine)."""
        self.attempt = 0
        """Failed reconnect attempts in a row."""
        self._state = TunnelState.STARTING
        self._clock = clock
        self._created = clock.monotonic()
        self._emit = emit
        self._dirty = dirty
        self._server: asyncio.Server | None = None
        self._conn: SshSession | None = None
        self._connected = asyncio.Event()
        self._locals: set[LocalConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self.connect_wait = 15.0
        self.max_connections = MAX_CONNECTIONS
        self.is_dirty = False
        self._stopping = False

    # --- what the UI reads -----------------------------------------------------------------------

    @property
    def spec(self) -> TunnelSpec:
        """What the user asked for."""
        return self._spec

    @property
    def state(self) -> TunnelState:
        """`ACTIVE` while listening with connections open."""
        if self._state is TunnelState.LISTENING and self.counters.open:
            return TunnelState.ACTIVE
        return self._state

    @property
    def age(self) -> float:
        """Seconds since the tunnel was opened (on the injected clock)."""
        return max(0.0, self._clock.monotonic() - self._created)

    @property
    def local_address(self) -> str:
        """`bind:port` of the local end."""
        return f"{format_host(self._spec.bind_address)}:{self.local_port}"

    @property
    def url(self) -> str:
        """The local URL (token kept), or `host:port` for services that are not web pages."""
        return local_url(self._spec, self.local_port)

    @property
    def state_text(self) -> str:
        """The state in words, e.g. `active (2)` or `failed: node unreachable: ...`."""
        state = self.state
        if state is TunnelState.ACTIVE:
            return f"active ({self.counters.open})"
        if state in {TunnelState.RECONNECTING, TunnelState.FAILED, TunnelState.CLOSED}:
            return f"{state.value}: {self.reason}" if self.reason else state.value
        return state.value

    # --- ForwardHost (used by LocalConnection) ---------------------------------------------------

    async def ssh_connection(self) -> SshSession:
        """The open SSH connection; waits up to `connect_wait` s while (re)connecting."""
        conn = self._conn
        if conn is not None and not conn.is_closed():
            return conn
        if not self._state.is_open:
            raise TunnelError(f"the tunnel is {self._state.value}")
        try:
            async with asyncio.timeout(self.connect_wait):
                while True:
                    await self._connected.wait()
                    conn = self._conn
                    if conn is not None and not conn.is_closed():
                        return conn
                    self._connected.clear()
        except TimeoutError:
            why = f" ({self.reason})" if self.reason else ""
            raise TunnelError(
                f"no SSH connection to {self._spec.node} after {self.connect_wait:g} s{why}"
            ) from None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def connection_opened(self, conn: LocalConnection) -> None:
        if len(self._locals) >= self.max_connections:
            conn.refuse(
                f"connection refused: the tunnel already has {len(self._locals)} open "
                f"connections (its limit); close some"
            )
            return
        self._locals.add(conn)
        before = self.state
        self.counters.open += 1
        self.counters.total += 1
        self._changed(before)

    def connection_closed(self, conn: LocalConnection) -> None:
        if conn in self._locals:
            self._locals.discard(conn)
            before = self.state
            self.counters.open -= 1
            self._changed(before)

    def count_up(self, nbytes: int) -> None:
        self.counters.bytes_up += nbytes
        if not self.is_dirty:
            self._dirty(self)

    def count_down(self, nbytes: int) -> None:
        self.counters.bytes_down += nbytes
        if not self.is_dirty:
            self._dirty(self)

    def connection_failed(self, message: str) -> None:
        self.counters.errors += 1
        self.last_error = message
        self._emit(self, EventKind.ERROR, message)

    # --- life cycle (called by the manager) ------------------------------------------------------

    async def start(self, pool: ConnectionSource, resolve: Resolve, backoff: Backoff) -> None:
        """Bind the local port, then keep the SSH side up in the background.

        Raises:
            TunnelError: when the local port cannot be bound (the tunnel is then failed).
        """
        self._stopping = False
        self._set(TunnelState.STARTING, "")
        try:
            sock = bind_listener(self._spec.bind_address, self.local_port)
        except TunnelError as exc:
            self._set(TunnelState.FAILED, exc.message)
            raise
        self.local_port = int(sock.getsockname()[1])
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: LocalConnection(self), sock=sock)
        self._supervisor = loop.create_task(
            self._supervise(pool, resolve, backoff), name=f"tunnel {self.id}"
        )

    async def stop(self, state: TunnelState, reason: str) -> None:
        """Close the listener, every connection and the supervisor; end in `state`."""
        self._stopping = True
        supervisor, self._supervisor = self._supervisor, None
        current = asyncio.current_task()
        if supervisor is not None and supervisor is not current:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for conn in list(self._locals):
            conn.close()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._conn = None
        self._connected.clear()
        if server is not None:
            await server.wait_closed()
        self._set(state, reason)

    @property
    def listening_socket(self) -> Any:
        """The bound listening socket (for checks), or None."""
        if self._server is None or not self._server.sockets:
            return None
        return self._server.sockets[0]

    # --- internals -------------------------------------------------------------------------------

    async def _supervise(self, pool: ConnectionSource, resolve: Resolve, backoff: Backoff) -> None:
        delay = backoff.initial
        connected_once = False
        while True:
            target: SshTarget | None = None
            try:
                target = await resolve(self._spec)
                conn = await pool.connect(target)
            except Exception as raised:
                exc = as_user_error(raised, title="SSH error")
                if isinstance(exc, HostKeyError | SshAuthError):
                    await self.stop(TunnelState.FAILED, f"{exc.title}: {exc.message}")
                    return
                if not connected_once:
                    await self.stop(TunnelState.FAILED, f"node unreachable: {exc.message}")
                    return
                self.attempt += 1
                if backoff.attempts is not None and self.attempt >= backoff.attempts:
                    await self.stop(
                        TunnelState.FAILED, f"gave up after {self.attempt} attempts: {exc.message}"
                    )
                    return
                self._set(
                    TunnelState.RECONNECTING,
                    f"{exc.message} (attempt {self.attempt}, next in {delay:g} s)",
                )
                await self._clock.sleep(delay)
                delay = min(delay * 2, backoff.maximum)
                continue
            connected_once = True
            delay = backoff.initial
            self.attempt = 0
            self._conn = conn
            self._connected.set()
            self._set(TunnelState.LISTENING, "")
            await conn.wait_closed()
            self._conn = None
            self._connected.clear()
            loss = pool.last_loss(target) if target is not None else None
            self._set(TunnelState.RECONNECTING, f"SSH {lost_reason(loss)}; reconnecting")

    def _set(self, state: TunnelState, reason: str) -> None:
        if state is self._state and reason == self.reason:
            return
        self._state = state
        self.reason = reason
        log.info("tunnel %s (%s): %s", self.id, self._spec.label, self.state_text)
        self._emit(self, EventKind.STATE, self.state_text)

    def _changed(self, before: TunnelState) -> None:
        if self.state is not before and not self._stopping:
            self._emit(self, EventKind.STATE, self.state_text)
        elif not self.is_dirty:
            self._dirty(self)
