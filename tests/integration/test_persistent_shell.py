"""PersistentShell against a real OpenSSH sshd with tmux: drops, restarts, clashes, no tmux."""

from __future__ import annotations

import asyncio
import re
import shlex
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer
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
                raise AssertionError(f"ended before {pattern!r}: {shell.exit_info}; {seen[-300:]!r}")
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
        f"{shlex.quote(names)} | while read -r s; do tmux kill-session -t \"=$s\"; done; "
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
