"""Port forwarding pieces without asyncssh types: a channel to `host:port` and its callbacks.

`SshSession.open_channel` joins a `ChannelReceiver` (what the tunnels implement) to one
`direct-tcpip` channel and returns a `ForwardChannel` to write to. Both sides are callbacks (no
streams, no per-chunk tasks), as in asyncssh's own forwarder. `WriteGate` passes the SSH
socket's congestion on, and `LocalForward` is a plain `ssh -L` listener.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import asyncssh

from tui.core.ssh.diagnose import channel_reason

CHANNEL_WINDOW = 2 * 1024 * 1024
"""Receive window of a forwarded channel (asyncssh's default)."""
CHANNEL_MAX_PACKET = 32 * 1024
"""Largest data packet the node may send on a forwarded channel (asyncssh's default)."""


class ChannelReceiver(Protocol):
    """What a forwarded channel tells its owner."""

    def channel_data(self, data: bytes) -> None:
        """Bytes arrived from the remote end."""

    def channel_eof(self) -> bool:
        """The remote end sent EOF; return True to keep the channel half-open."""
        ...

    def channel_closed(self, reason: str | None) -> None:
        """The channel closed: `reason` None when cleanly, else why (e.g. "Connection lost")."""

    def channel_pause(self) -> None:
        """The channel's send window is full: stop writing for now."""

    def channel_resume(self) -> None:
        """The channel can take data again."""


class ForwardChannel:
    """One open channel to `host:port` on the node (bound methods: no extra call per write)."""

    __slots__ = ("close", "pause_reading", "resume_reading", "write", "write_eof")

    def __init__(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        self.write: Callable[[bytes], None] = chan.write
        """Send bytes to the remote end."""
        self.write_eof: Callable[[], None] = chan.write_eof
        self.close: Callable[[], None] = chan.close
        self.pause_reading: Callable[[], None] = chan.pause_reading
        """Stop `channel_data` calls until `resume_reading` (a slow local reader)."""
        self.resume_reading: Callable[[], None] = chan.resume_reading


class ReceiverSession(asyncssh.SSHTCPSession[bytes]):
    """asyncssh's side of a `ChannelReceiver`."""

    def __init__(self, receiver: ChannelReceiver) -> None:
        self._receiver = receiver

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._receiver.channel_data(data)

    def eof_received(self) -> bool:
        return self._receiver.channel_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self._receiver.channel_closed(channel_reason(exc))

    def pause_writing(self) -> None:
        self._receiver.channel_pause()

    def resume_writing(self) -> None:
        self._receiver.channel_resume()


class GateWaiter(Protocol):
    """Something paused by a `WriteGate`."""

    def gate_opened(self) -> None:
        """The SSH socket drained: go on reading."""


class WriteGate:
    """Backpressure from the SSH socket to the local readers of one connection.

    asyncssh ignores its transport's pause/resume signals, so with many busy channels every
    byte read locally would pile up in the SSH socket's user-space buffer (copied on every
    append). `SshSession.write_gate` hooks those signals to `pause`/`resume`; a reader that
    finds the gate `paused` holds itself and is told when it opens.
    """

    def __init__(self) -> None:
        self.paused = False
        self._held: set[GateWaiter] = set()

    def hold(self, waiter: GateWaiter) -> None:
        """Call `waiter.gate_opened()` once the SSH socket drains."""
        self._held.add(waiter)

    def release(self, waiter: GateWaiter) -> None:
        """Forget `waiter` (it closed)."""
        self._held.discard(waiter)

    def pause(self) -> None:
        """The SSH socket is congested."""
        self.paused = True

    def resume(self) -> None:
        """The SSH socket drained: wake every held reader."""
        self.paused = False
        held, self._held = self._held, set()
        for waiter in held:
            waiter.gate_opened()


class LocalForward:
    """A local listening port forwarded to `dest_host:dest_port` as seen from the node."""

    def __init__(self, listener: asyncssh.SSHListener) -> None:
        self._listener = listener

    @property
    def port(self) -> int:
        """The local port (the one picked when 0 was asked for)."""
        return int(self._listener.get_port())

    def close(self) -> None:
        """Stop listening (open connections end with the SSH connection)."""
        self._listener.close()

    async def wait_closed(self) -> None:
        """Wait until the listener has closed."""
        await self._listener.wait_closed()
