"""Faults under 20 persistent (tmux) shells on one node: after one drop they all come back by
themselves, spread over more than a second by the jittered backoff, each in its own session."""

from __future__ import annotations

import asyncio
import random
import shlex
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.faults import FULL, KINDS, NOTICE, Fault, Timeline
from tests.integration.sshd import SshdServer, require_sshd
from tui.core.ssh.persistent import RemoteSessions, session_name
from tui.core.ssh.persistent_shell import PersistentShell
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

pytestmark = pytest.mark.sshd

TABS = 20
BACK = 40.0
"""Seconds within which all tabs are back after the heal (backoff windows: 2, 4, 8, 16 s)."""


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    """The fault suite's sshd, allowing TABS sessions on one connection (OpenSSH: 10)."""
    require_sshd()
    server = SshdServer(tmp_path / "sshd")
    server.config.write_text(server.config.read_text() + f"MaxSessions {TABS + 10}\n")
    server.start()
    try:
        yield server
    finally:
        server.close()


class Tab:
    """A persistent shell whose output is kept as text."""

    def __init__(self, shell: PersistentShell) -> None:
        self.shell = shell
        self.seen = b""
        self.task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        while data := await self.shell.read():
            self.seen += data

    def answered(self, marker: str) -> bool:
        return marker.encode() in self.seen


@pytest.fixture
async def tabs(pool: SshPool, fault: Fault) -> AsyncIterator[list[Tab]]:
    job = f"f{uuid.uuid4().hex[:6]}"
    rng = random.Random(5)
    opened = []
    for n in range(1, TABS + 1):
        shell = PersistentShell(
            SshShellBackend(pool, fault.target()),
            RemoteSessions(pool),
            name=session_name(job, "n", n),
            job=job,
            node="n",
            mode="tmux",
            rng=rng.random,
        )
        await shell.start(80, 24)
        opened.append(Tab(shell))
    yield opened
    for tab in opened:
        await tab.shell.close()
        tab.task.cancel()
    if fault.sshd.proc is None:
        fault.sshd.start()
    fault.relay = None  # clean up straight at sshd
    script = (
        "tmux list-sessions -F '#{session_name}' 2>/dev/null | grep -F -- "
        f'{shlex.quote("cd-" + job)} | while read -r s; do tmux kill-session -t "=$s"; done; true'
    )
    cleanup = SshPool(known_hosts_paths=pool._known_hosts_paths, use_agent=False)
    try:
        await cleanup.run(fault.sshd.target(), script, timeout=20)
    finally:
        await cleanup.close()


async def all_answer(tabs: list[Tab], timeline: Timeline, state: str, within: float) -> None:
    for n, tab in enumerate(tabs):
        tab.shell.write(f"echo ok-$(({n}+1000))\n".encode())
    await timeline.reach(
        state, lambda: all(t.answered(f"ok-{n + 1000}") for n, t in enumerate(tabs)), within=within
    )
    for tab in tabs:
        tab.seen = b""


@pytest.mark.parametrize(
    "fault", KINDS if FULL else ("sshd-killed", "connection-reset"), indirect=True
)
async def test_twenty_tabs_reattach_spread_out_after_one_drop(
    fault: Fault, tabs: list[Tab], timeline: Timeline
) -> None:
    await all_answer(tabs, timeline, "20 tabs up", within=30)
    timeline.mark()
    await fault.inject()
    await timeline.reach(
        "every tab reattaching",
        lambda: all(t.shell.status or t.shell.attempts for t in tabs),
        within=NOTICE,
    )
    await fault.heal()
    await all_answer(tabs, timeline, "every tab back, answering", within=BACK)
    assert all(t.shell.alive and t.shell.status == "" for t in tabs)
    firsts = sorted(t.shell.attempts[0] for t in tabs)
    assert firsts[-1] - firsts[0] > 1.0, "jittered: not all in the same second"
    names = {t.shell.name for t in tabs}
    assert len(names) == TABS
