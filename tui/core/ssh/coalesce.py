"""Fewer, larger writes to the SSH socket: the packets of one event-loop turn go out as one write.

asyncssh writes every SSH packet to its transport on its own, and (2.24) an empty MSG_IGNORE
before each one, so a 256 KiB read forwarded up a tunnel costs 16 socket writes. `coalesce_sends`
gives the connection a sender that queues the packets of the current loop turn and writes them
joined on the next (tests/bench/bench_tunnels.py measures the lever). Order is kept: every
packet of the connection goes through that one sender.
"""

from __future__ import annotations

import asyncio

import asyncssh


def coalesce_sends(conn: asyncssh.SSHClientConnection) -> bool:
    """Make `conn` write its queued packets once per loop turn; False when asyncssh's internals
    are not as expected (the connection is then left as it is)."""
    transport: asyncio.WriteTransport | None = getattr(conn, "_transport", None)
    if transport is None or not callable(getattr(conn, "_send", None)):
        return False
    loop = asyncio.get_running_loop()
    pending: list[bytes] = []

    def flush() -> None:
        data = b"".join(pending)
        pending.clear()
        if not transport.is_closing():
            try:
                transport.write(data)
            except ConnectionError:  # as asyncssh's own `_send`
                pass

    def send(data: bytes) -> None:
        if not pending:
            loop.call_soon(flush)
        pending.append(data)

    setattr(conn, "_send", send)  # noqa: B010 (a private member: mypy would refuse it)
    return True
