"""Fewer, larger writes to the SSH socket: the packets of one event-loop turn go out as one write.

asyncssh writes every SSH packet to its transport on its own, and (2.24) an empty MSG_IGNORE
before each one, so a 256 KiB read forwarded up a tunnel costs 16 socket writes. `coalesce_sends`
gives the connection a sender that queues the packets of the current loop turn and writes them
joined on the next, or once 64 KiB are queued (tests/bench/bench_tunnels.py measures the
lever). Order is kept: every packet of the connection goes through that one sender.
"""

from __future__ import annotations

import asyncio

import asyncssh

FLUSH_BYTES = 65_536
"""A batch this large is written at once, without waiting for the end of the turn."""


def coalesce_sends(conn: asyncssh.SSHClientConnection) -> bool:
    """Make `conn` write its queued packets once per loop turn; False when asyncssh's internals
    are not as expected (the connection is then left as it is)."""
    transport: asyncio.WriteTransport | None = getattr(conn, "_transport", None)
    if transport is None or not callable(getattr(conn, "_send", None)):
        return False
    loop = asyncio.get_running_loop()
    pending: list[bytes] = []
    queued = 0

    def flush() -> None:
        nonlocal queued
        if not pending:
            return
        data = b"".join(pending)
        pending.clear()
        queued = 0
        if not transport.is_closing():
            try:
                transport.write(data)
            except ConnectionError:  # as asyncssh's own `_send`
                pass

    def send(data: bytes) -> None:
        nonlocal queued
        if not pending:
            loop.call_soon(flush)
        pending.append(data)
        queued += len(data)
        if queued >= FLUSH_BYTES:
            flush()  # keep sshd busy meanwhile: on 2 cores, waiting for a whole turn costs more

    setattr(conn, "_send", send)  # noqa: B010 (a private member: mypy would refuse it)
    return True
