"""Fixtures of the fault suite: a private sshd, a fault on the way to it, a pool through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.faults import FULL, KEEPALIVE, KEEPALIVE_MAX, Fault, Timeline, make_fault
from tests.integration.sshd import SshdServer, running_sshd
from tui.core.ssh.pool import SshPool


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    """A private OpenSSH sshd for one test."""
    with running_sshd(tmp_path / "sshd") as server:
        yield server


@pytest.fixture
async def fault(request: pytest.FixtureRequest, sshd: SshdServer) -> AsyncIterator[Fault]:
    """The fault named by the test's `kind` parameter (see tests/faults/faults.py)."""
    made = await make_fault(request.param, sshd)
    yield made
    await made.close()


@pytest.fixture
async def pool(tmp_path: Path, fault: Fault) -> AsyncIterator[SshPool]:
    """A pool that trusts the sshd (directly and through the relay), with fast keepalives."""
    pool = SshPool(
        known_hosts_paths=[fault.known_hosts(tmp_path / "known_hosts")],
        ssh_config_paths=[],
        use_agent=False,
        keepalive_interval=KEEPALIVE,
        keepalive_count_max=KEEPALIVE_MAX,
        connect_timeout=5,
    )
    yield pool
    await pool.close()


_RECORDS: list[tuple[str, str, float, float]] = []


@pytest.fixture
def timeline(request: pytest.FixtureRequest) -> Timeline:
    """Bounded, recorded waits for the test's named end states."""
    return Timeline(request.node.name, _RECORDS)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Each fault case, the state it ended in, how long that took and its bound."""
    if not _RECORDS:
        return
    size = "full" if FULL else "CI"
    terminalreporter.section(f"fault suite: states reached ({size} sizes)")
    for case, state, seconds, bound in _RECORDS:
        terminalreporter.write_line(f"{case}: {state} after {seconds:.2f} s (bound {bound:g} s)")
