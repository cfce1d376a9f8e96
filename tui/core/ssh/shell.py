"""An interactive PTY shell on a pooled SSH connection, shaped as a terminal backend.

`SshShellBackend` satisfies the terminal view's backend protocol structurally (this module never
imports `widgets`): `start`, `read`, `write`, `resize`, `close` and `exit_info`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

import asyncssh

from tui.core.models import SshTarget
from tui.core.ssh.diagnose import command_error, lost_reason
from tui.core.ssh.pool import SshPool

READ_CHUNK = 256 * 1024
"""At most this many bytes are coalesced into one `read()` result."""
HIGH_WATER = 1024 * 1024
"""Pause reading from the channel when this many unread bytes are queued..."""
LOW_WATER = 256 * 1024
"""...and resume once the reader has brought the queue below this."""
CLOSE_WAIT = 1.0
"""Seconds `close()` waits for the server to confirm; the channel is released anyway."""

log = logging.getLogger(__name__)


CHANNEL_WINDOW = 256 * 1024
"""Per-shell SSH window. asyncssh's 2 MiB default lets one flooding shell queue megabytes on the
shared connection, so keystrokes in the other tabs wait behind it (tests/bench measured p95 echo
236 ms -> under 50 ms). It caps one shell at window / round-trip (5 MB/s at 50 ms)."""


@dataclass(frozen=True)
class SessionExit:
    """How a shell session ended (same fields as the terminal view's `TerminalExit`)."""

    reason: str
    """Shown to the user, e.g. "exited with status 0" or "connection lost: ..."."""
    exit_status: int | None = None
    """The remote program's exit status, when it exited by itself."""
    disconnected: bool = False
    """True when the connection dropped (the view then offers to reconnect)."""


class _ShellSession(asyncssh.SSHClientSession[bytes]):
    """Session callbacks: the fastest way to receive channel data (no stream layer)."""

    def __init__(self, backend: SshShellBackend) -> None:
        self._backend = backend

    def connection_made(self, chan: asyncssh.SSHClientChannel[bytes]) -> None:
        # known before create_session() returns, so a flood at once can already be paused
        self._backend._chan = chan

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._backend._on_data(data)

    def eof_received(self) -> bool:
        return False

    def exit_status_received(self, status: int) -> None:
        self._backend._exit_status = status

    def exit_signal_received(self, signal: str, core_dumped: bool, msg: str, lang: str) -> None:
        self._backend._exit_signal = signal

    def connection_lost(self, exc: Exception | None) -> None:
        self._backend._on_closed(exc)


class SshShellBackend:
    """A PTY shell (or `command`) on `target`, over the pool's shared connection.

    Args:
        pool: Where the connection comes from (dropped connections leave it, so `start()`
            after a drop reconnects).
        target: The node to open the shell on.
        term_type: The TERM value sent with the PTY request.
        command: Run this instead of the login shell.
        high_water: Unread bytes above which reading from the channel pauses.
        low_water: Unread bytes below which reading resumes.
    """

    def __init__(
        self,
        pool: SshPool,
        target: SshTarget,
        *,
        term_type: str = "xterm-256color",
        command: str | None = None,
        high_water: int = HIGH_WATER,
        low_water: int = LOW_WATER,
    ) -> None:
        self.pool = pool
        self.target = target
        self.term_type = term_type
        self.command = command
        self.high_water = high_water
        self.low_water = min(low_water, high_water)
        self._chan: asyncssh.SSHClientChannel[bytes] | None = None
        self._conn: asyncssh.SSHClientConnection | None = None
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._paused = False
        self._wakeup = asyncio.Event()
        self._closed = True
        self._lost: Exception | None = None
        self._exit_status: int | None = None
        self._exit_signal: str | None = None
        self._exit_info: SessionExit | None = None
        self._closing = False
        self.route: str | None = None
        """How the shell reached its node, when there was a choice (shown beside the tab)."""

    def can_persist(self) -> bool:
        """Whether a tmux or screen session started by `command` outlives this channel (a
        provider's backend says no when its route ends everything with the channel)."""
        return True

    def set_command(self, command: str | None) -> None:
        """Run `command` (None: the login shell) from the next `start()` on (persistent shells
        set their tmux or screen attach command here)."""
        self.command = command

    # --- the backend protocol ------------------------------------------------------------------

    async def start(self, cols: int, rows: int) -> None:
        """Open the shell with a `cols` x `rows` terminal (again after an end, to reconnect).

        Raises:
            tui.core.errors.SshError: (or a subclass) when the connection or session fails to open.
        """
        await self.close()
        self._reset()
        try:
            conn = (await self.pool.connect(self.target))._conn  # same package: asyncssh's own
            self._conn = conn
            chan, _ = await conn.create_session(
                lambda: _ShellSession(self),
                self.command if self.command is not None else (),
                term_type=self.term_type,
                term_size=(max(cols, 1), max(rows, 1)),
                encoding=None,
                window=CHANNEL_WINDOW,
            )
        except BaseException as exc:
            self._closed = True
            self._wakeup.set()
            if isinstance(exc, asyncssh.Error | OSError):
                raise command_error(self.target, exc) from exc
            raise
        self._chan = chan

    async def read(self) -> bytes:
        """The next output (queued chunks joined, up to 256 KiB); `b""` once the session ended."""
        while not self._chunks:
            if self._closed:
                return b""
            self._wakeup.clear()
            await self._wakeup.wait()
        parts: list[bytes] = []
        size = 0
        while self._chunks and (not parts or size + len(self._chunks[0]) <= READ_CHUNK):
            chunk = self._chunks.popleft()
            parts.append(chunk)
            size += len(chunk)
        self._queued -= size
        if self._paused and self._queued <= self.low_water and self._chan is not None:
            self._paused = False
            self._chan.resume_reading()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def write(self, data: bytes) -> None:
        """Send input to the shell without blocking (dropped once the session has ended)."""
        if self._chan is not None and not self._closed and data:
            try:
                self._chan.write(data)
            except (asyncssh.Error, OSError, BrokenPipeError) as exc:
                log.debug("write to %s failed: %s", self.target, exc)

    def resize(self, cols: int, rows: int) -> None:
        """Tell the remote PTY its new size."""
        if self._chan is not None and not self._closed:
            with contextlib.suppress(asyncssh.Error, OSError):
                self._chan.change_terminal_size(max(cols, 1), max(rows, 1))

    async def close(self) -> None:
        """Close the session's channel (the pooled connection stays). Safe to call again."""
        chan = self._chan
        if chan is None or self._closing or (self._closed and chan.is_closing()):
            return
        self._closing = True
        try:
            if not self._closed and self._exit_status is None and self._exit_signal is None:
                # Hang up the remote program, as closing a terminal would (OpenSSH >= 7.9);
                # without it sshd can wait for a program that never saw its tty go away.
                with contextlib.suppress(asyncssh.Error, OSError, ValueError):
                    chan.send_signal("HUP")
            chan.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_WAIT):
                    await chan.wait_closed()
        finally:
            self._closing = False
            self._closed = True
            self._wakeup.set()

    @property
    def exit_info(self) -> SessionExit | None:
        """How the session ended; None while it runs (or before it started)."""
        if self._exit_info is None and self._closed and self._chan is not None:
            self._exit_info = self._make_exit()
        return self._exit_info

    @property
    def queued_bytes(self) -> int:
        """Output received but not yet returned by `read()`."""
        return self._queued

    @property
    def reading_paused(self) -> bool:
        """True while channel reads are paused because the reader lags."""
        return self._paused

    # --- session callbacks ---------------------------------------------------------------------

    def _on_data(self, data: bytes) -> None:
        self._chunks.append(data)
        self._queued += len(data)
        if not self._paused and self._queued >= self.high_water and self._chan is not None:
            self._paused = True
            self._chan.pause_reading()
        self._wakeup.set()

    def _on_closed(self, exc: Exception | None) -> None:
        self._lost = exc
        self._closed = True
        self._paused = False
        self._exit_info = self._make_exit()
        self._wakeup.set()

    def _make_exit(self) -> SessionExit:
        conn_gone = self._conn is not None and self._conn.is_closed()
        if self._exit_status is not None:
            return SessionExit(f"exited with status {self._exit_status}", self._exit_status)
        if self._exit_signal is not None:
            return SessionExit(f"killed by signal {self._exit_signal}")
        if self._lost is not None or (conn_gone and not self._closing):
            loss = self._lost
            if loss is None and self._conn is not None:
                loss = self.pool.last_loss(self.target)
            return SessionExit(lost_reason(loss or ConnectionError("closed")), disconnected=True)
        return SessionExit("session closed")

    def _reset(self) -> None:
        self._chan = None
        self._conn = None
        self._chunks.clear()
        self._queued = 0
        self._paused = False
        self._wakeup.clear()
        self._closed = False
        self._lost = None
        self._exit_status = None
        self._exit_signal = None
        self._exit_info = None
