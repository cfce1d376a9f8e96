"""Persistent shells: reattach time after a drop, and 50 tabs reattaching at once.

`python tests/bench/bench_sessions.py` (as root: it runs a private OpenSSH sshd, with tmux).
Each tab is a `PersistentShell` feeding a `TerminalModel`, as the terminal view does; "painted"
is the moment the emulator's screen holds the tmux redraw again (the view paints at its next
frame, at most 1/60 s later). sshd is killed with its connections and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import resource
import shlex
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._table import Row, publish
from tests.integration.sshd import SshdServer, require_sshd
from tui.core.ssh.persistent import RemoteSessions, session_name
from tui.core.ssh.persistent_shell import PersistentShell
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend
from widgets.terminal.model import TerminalModel

TABS = 50
WITHIN = 120.0


class Tab:
    """A shell and the emulator it feeds; `seen` is when the screen last showed `mark`."""

    def __init__(self, shell: PersistentShell, mark: str) -> None:
        self.shell = shell
        self.model = TerminalModel(100, 30)
        self.mark = mark
        self.painted: float | None = None
        self.task = asyncio.create_task(self._pump())

    def is_painted(self) -> bool:
        return self.painted is not None

    def shows_mark(self) -> bool:
        emulator = self.model.emulator
        top = emulator.history_size
        rows = ("".join(emulator.line_cells(top + y)) for y in range(emulator.size[1]))
        return any(self.mark in row for row in rows)

    async def _pump(self) -> None:
        while data := await self.shell.read():
            self.model.feed(data)
            if self.painted is None and self.shell.reattached_at is not None and self.shows_mark():
                self.painted = time.monotonic()


async def wait_for(predicate: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.01)


async def open_tabs(
    pool: SshPool, server: SshdServer, job: str, count: int, **kw: object
) -> list[Tab]:
    tabs = []
    for n in range(1, count + 1):
        shell = PersistentShell(
            SshShellBackend(pool, server.target()),
            RemoteSessions(pool),
            name=session_name(job, "n", n),
            job=job,
            node="n",
            mode="tmux",
            **kw,  # type: ignore[arg-type]
        )
        await shell.start(100, 30)
        tab = Tab(shell, f"mark-{n}-ok")
        shell.write(f"echo mark-{n}-''ok\n".encode())
        tabs.append(tab)
    await wait_for(lambda: all(t.shows_mark() for t in tabs), "marks")
    return tabs


async def drop(server: SshdServer, tabs: list[Tab]) -> float:
    """Kill sshd and its connections, start it again; returns when it accepts."""
    for tab in tabs:
        tab.painted = None
        tab.shell.reattached_at = None
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)
    return time.monotonic()


@contextlib.contextmanager
def sshd_for_many(base: Path) -> Iterator[SshdServer]:
    """A private sshd allowing TABS sessions on one connection (OpenSSH's default is 10)."""
    require_sshd()
    server = SshdServer(base)
    server.config.write_text(server.config.read_text() + f"MaxSessions {TABS + 10}\n")
    server.start()
    try:
        yield server
    finally:
        server.close()


async def main() -> None:
    job = f"b{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp, sshd_for_many(Path(tmp) / "sshd") as server:
        known = server.write_known_hosts(Path(tmp) / "known_hosts")
        pool = SshPool(known_hosts_paths=[known], use_agent=False)
        try:
            # one tab: from the try that reaches the restored sshd to the repainted screen
            single = []
            for _ in range(5):
                (tab,) = await open_tabs(pool, server, job, 1, rng=lambda: 0.0)
                await drop(server, [tab])
                await wait_for(functools.partial(Tab.is_painted, tab), "one tab back")
                assert tab.painted is not None
                single.append(tab.painted - tab.shell.attempts[-1])
                await tab.shell.end_session()
            # the anchor: a fresh plain shell on a fresh connection, to its first output
            fresh = []
            for _ in range(5):
                await pool.close()
                pool = SshPool(known_hosts_paths=[known], use_agent=False)
                plain = SshShellBackend(pool, server.target())
                started = time.monotonic()
                await plain.start(100, 30)
                await plain.read()
                fresh.append(time.monotonic() - started)
                await plain.close()
            # fifty tabs at once
            tabs = await open_tabs(pool, server, job, TABS, rng=random.Random(1).random)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            back = await drop(server, tabs)
            await wait_for(lambda: all(t.painted is not None for t in tabs), "all tabs back")
            total = max(t.painted or 0 for t in tabs) - back
            firsts = [t.shell.attempts[0] for t in tabs]
            spread = max(firsts) - min(firsts)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            all_back = sum(t.shell.persistent and t.shell.status == "" for t in tabs)
            for tab in tabs:
                await tab.shell.end_session()
        finally:
            script = (
                f"tmux list-sessions -F '#{{session_name}}' 2>/dev/null | grep -F -- "
                f'{shlex.quote("cd-" + job)} | while read -r s; do tmux kill-session -t "=$s"; '
                "done; true"
            )
            await pool.run(server.target(), script, timeout=20)
            await pool.close()
    single.sort()
    fresh.sort()
    rows = [
        Row(
            "connection restored → screen repainted, 1 tab (median of 5)",
            single[2] * 1000,
            fresh[2] * 1000,
            "a new plain shell: connect to first output",
            unit="ms",
            higher_is_better=False,
            goal_text="<= 1,000 ms",
            met=single[2] <= 1.0,
        ),
        Row(
            f"{TABS} tabs after one drop: back",
            all_back,
            None,
            "",
            goal_text=f"{TABS}",
            met=all_back == TABS,
        ),
        Row(f"{TABS} tabs: sshd back → all repainted", total, None, "", unit="s"),
        Row(
            f"{TABS} tabs: first reattach tries spread over",
            spread,
            None,
            "",
            unit="s",
            goal_text="> 1 s (jitter)",
            met=spread > 1.0,
        ),
        Row(
            f"{TABS} tabs: peak RSS of the process",
            peak,
            rss_before,
            "before the drop",
            unit="MB",
            higher_is_better=False,
        ),
    ]
    publish(
        "bench_sessions",
        "Persistent shells",
        rows,
        note=(
            "Reattach tries wait a jittered, doubling backoff (the first 0.2 to 2 s), so most "
            f"of the {TABS}-tab total is the backoff spreading the tabs out, not the reattach "
            "itself; the one-tab figure has the jitter off and starts at the try that reaches "
            "the restored sshd (SSH connect, login, channel, tmux attach and redraw)."
        ),
    )


if __name__ == "__main__":
    asyncio.run(main())
