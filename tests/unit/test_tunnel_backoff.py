"""Tunnel reconnects back off: delays double from `initial` up to `maximum`, reset on success."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.test_tunnel_manager import WAIT, FakePool, echo_port, listening, spec
from tui.core.clock import ManualClock
from tui.core.errors import SshUnreachable
from tui.core.tunnels import Backoff, TunnelManager

__all__ = ["echo_port"]  # a fixture


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
        connect_wait=WAIT,
    )
    yield manager
    await manager.close()


async def test_reconnect_delays_double_up_to_the_cap_and_reset_after_a_success(
    manager: TunnelManager, pool: FakePool, clock: ManualClock, echo_port: int
) -> None:
    tunnel = await listening(manager, await manager.open(spec(echo_port)))

    async def delays(count: int) -> list[str]:
        """The announced delay of each of the next `count` failed attempts (sleeping each)."""
        assert pool.conn is not None
        pool.fail = SshUnreachable("down")
        pool.conn.drop()
        seen = []
        for attempt in range(1, count + 1):
            await manager.wait_for(tunnel, lambda t, n=attempt: t.attempt == n)  # type: ignore[misc]
            seen.append(tunnel.reason.rsplit("next in ", 1)[1])
            if attempt < count:
                clock.advance(float(seen[-1].split()[0]))
        return seen

    # Backoff(initial=0.5, maximum=2.0)
    assert await delays(6) == ["0.5 s)", "1 s)", "2 s)", "2 s)", "2 s)", "2 s)"]
    pool.fail = None
    clock.advance(2.0)
    await listening(manager, tunnel)
    assert await delays(2) == ["0.5 s)", "1 s)"]
