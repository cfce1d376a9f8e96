"""PersistentShell against a real OpenSSH sshd with tmux: drops, restarts, clashes, no tmux."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, require_sshd
from tui.core.ssh.persistent import RemoteSessions, session_name
from tui.core.ssh.persistent_shell import PersistentShell, backoff_delay
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

pytestmark = pytest.mark.sshd


async def read_until(shell: PersistentShell, pattern: bytes, *, within: float = 20) -> bytes:
    """Read until `pattern` (a regex) shows up; fail after `within` seconds."""
    seen = b""
    async with asyncio.timeout(within):
        while not re.search(pattern, seen):
            chunk = await shell.read()
            if not chunk:
                raise AssertionError(
                    f"ended before {pattern!r}: {shell.exit_info}; {seen[-300:]!r}"
                )
            seen += chunk
    return seen


async def read_to_end(shell: PersistentShell, *, within: float = 20) -> bytes:
    seen = b""
    async with asyncio.timeout(within):
        while chunk := await shell.read():
            seen += chunk
    return seen


@pytest.fixture
async def pool(tmp_path: Path, sshd: SshdServer) -> AsyncIterator[SshPool]:
    pool = SshPool(
        known_hosts_paths=[sshd.write_known_hosts(tmp_path / "known_hosts")], use_agent=False
    )
    yield pool
    await pool.close()


@pytest.fixture
def job() -> str:
    """A job id no other test uses (tests share the login user's tmux server)."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def cleanup(pool: SshPool, sshd: SshdServer, job: str) -> AsyncIterator[None]:
    """Kill this test's tmux sessions at the end."""
    yield
    names = f"cd-{job}-"
    script = (
        "tmux list-sessions -F '#{session_name}' 2>/dev/null | grep -F -- "
        f'{shlex.quote(names)} | while read -r s; do tmux kill-session -t "=$s"; done; '
        f"tmux kill-session -t {shlex.quote('=mine-' + job)} 2>/dev/null; true"
    )
    if sshd.proc is None:
        sshd.start()
    await pool.run(sshd.target(), script, timeout=10)


def persistent(pool: SshPool, sshd: SshdServer, job: str, **kw: object) -> PersistentShell:
    return PersistentShell(
        SshShellBackend(pool, sshd.target()),
        RemoteSessions(pool),
        name=session_name(job, "node-1", 1),
        job=f"demo:{job}",
        node="node-1",
        mode="tmux",
        rng=lambda: 0.0,
        **kw,  # type: ignore[arg-type]
    )


async def test_the_shell_survives_sshd_restarts_and_reattaches_by_itself(
    pool: SshPool, sshd: SshdServer, job: str, cleanup: None
) -> None:
    shell = persistent(pool, sshd, job)
    await shell.start(80, 24)
    assert shell.persistent and shell.name == f"cd-{job}-node-1-1"
    await read_until(shell, rb"\$ ")
    shell.write(b"sleep 5; echo surv''ived\n")
    await read_until(shell, rb"sleep 5")
    sshd.stop()
    sshd.start()
    out = await read_until(shell, rb"survived")
    assert shell.attempts, "it reattached"
    assert shell.status == ""
    assert out
    await shell.close()


async def test_a_new_backend_reattaches_to_the_same_session_with_its_history(
    pool: SshPool, sshd: SshdServer, job: str, cleanup: None
) -> None:
    first = persistent(pool, sshd, job)
    await first.start(80, 24)
    await read_until(first, rb"\$ ")
    first.write(b"echo mark''er-1\n")
    await read_until(first, rb"marker-1")
    await first.close()  # detach, as quitting clusterdeck does
    listed = await RemoteSessions(pool).ours(sshd.target())
    assert [s.name for s in listed if s.job == f"demo:{job}"] == [first.name], listed

    again = persistent(pool, sshd, job)
    await again.start(80, 24)
    history = await read_until(again, rb"marker-1")  # the captured pane, before tmux paints
    assert b"\x1b[?1049h" not in history.split(b"marker-1")[0], "history comes first"
    again.write(b"echo $TMUX_PANE\n")
    await read_until(again, rb"%\d+")
    assert again.name == first.name and again.persistent


async def test_a_session_the_user_made_with_our_name_is_never_attached(
    pool: SshPool, sshd: SshdServer, job: str, cleanup: None
) -> None:
    name = session_name(job, "node-1", 1)
    await pool.run(sshd.target(), f"tmux new-session -d -s {name} 'sleep 300'", timeout=10)
    shell = persistent(pool, sshd, job)
    await shell.start(80, 24)
    assert shell.name == session_name(job, "node-1", 2)
    assert "did not make" in shell.note and name in shell.note
    await read_until(shell, rb"\$ ")
    shell.write(b"echo $TMUX_PANE\n")
    await read_until(shell, rb"%\d+")
    with pytest.raises(Exception, match="not a clusterdeck session"):
        await RemoteSessions(pool).kill(sshd.target(), name)
    still = await RemoteSessions(pool).probe(sshd.target())
    mine = still.find(name)
    assert mine is not None and not mine.ours
    await shell.end_session()
    assert (await RemoteSessions(pool).probe(sshd.target())).find(shell.name) is None
    await pool.run(sshd.target(), f"tmux kill-session -t ={name}", timeout=10)


async def test_a_session_killed_from_outside_says_so(
    pool: SshPool, sshd: SshdServer, job: str, cleanup: None
) -> None:
    shell = persistent(pool, sshd, job)
    await shell.start(80, 24)
    await read_until(shell, rb"\$ ")
    await pool.run(sshd.target(), f"tmux kill-session -t ={shell.name}", timeout=10)
    await read_to_end(shell)
    assert shell.exit_info is not None
    assert "ended" in shell.exit_info.reason and not shell.exit_info.disconnected


async def test_a_node_that_rebooted_ends_the_tab_with_the_reason(
    pool: SshPool, sshd: SshdServer, job: str, cleanup: None
) -> None:
    """The session died while the node was away (a reboot): no new one is made silently."""
    shell = persistent(pool, sshd, job)
    await shell.start(80, 24)
    await read_until(shell, rb"\$ ")
    sshd.stop()
    as_user = ["runuser", "-u", sshd.user, "--", "tmux", "kill-session", "-t", f"={shell.name}"]
    subprocess.run(as_user, check=True, capture_output=True, timeout=10)  # noqa: ASYNC221
    sshd.start()
    await read_to_end(shell)
    assert shell.exit_info is not None and "is gone" in shell.exit_info.reason
    assert shell.attempts
    assert (await RemoteSessions(pool).probe(sshd.target())).find(shell.name) is None


def test_backoff_spreads_twenty_tabs_over_more_than_a_second() -> None:
    import random

    rng = random.Random(7)
    first = sorted(backoff_delay(0, rng.random) for _ in range(20))
    assert first[-1] - first[0] > 1.0
    assert all(0.2 <= d <= 2.0 for d in first)
    assert backoff_delay(10, lambda: 1.0) == 30.0


@pytest.fixture
def sshd_without_tmux(tmp_path: Path) -> Iterator[SshdServer]:
    """An sshd whose sessions get a PATH holding every /usr/bin program but tmux."""
    require_sshd()
    server = SshdServer(tmp_path / "sshd-notmux")
    bin_dir = server.shared_dir() / "bin"
    bin_dir.mkdir()
    for program in Path("/usr/bin").iterdir():
        if program.name != "tmux":
            (bin_dir / program.name).symlink_to(program)
    server.config.write_text(server.config.read_text() + f"SetEnv PATH={bin_dir}\n")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["tmux", "auto"])
async def test_without_tmux_the_tab_gets_a_plain_shell_and_says_why(
    tmp_path: Path, sshd_without_tmux: SshdServer, mode: str
) -> None:
    server = sshd_without_tmux
    pool = SshPool(known_hosts_paths=[server.write_known_hosts(tmp_path / "kh")], use_agent=False)
    try:
        shell = PersistentShell(
            SshShellBackend(pool, server.target()),
            RemoteSessions(pool),
            name="cd-j-n-1",
            job="j",
            node="n",
            mode=mode,  # type: ignore[arg-type]
        )
        await shell.start(80, 24)
        assert shell.active == "plain" and not shell.persistent
        if mode == "tmux":
            assert "tmux is not installed on n" in shell.note
        else:
            assert shell.note == ""
        shell.write(b"echo plain-$((40+2))\n")
        await read_until(shell, rb"plain-42")
        await shell.close()
    finally:
        await pool.close()
