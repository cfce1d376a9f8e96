"""PersistentShell in GNU screen (`persistent = "screen"`) against a real OpenSSH sshd."""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator

import pytest

from tests.conftest import require_binary
from tests.integration.sshd import SshdServer
from tests.integration.test_persistent_shell import (  # noqa: F401 - fixtures
    job,
    pool,
    read_to_end,
    read_until,
)
from tui.core.ssh.persistent import RemoteSessions, session_name
from tui.core.ssh.persistent_screen import SCREEN
from tui.core.ssh.persistent_shell import PersistentShell
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

pytestmark = pytest.mark.sshd


@pytest.fixture
async def cleanup(pool: SshPool, sshd: SshdServer, job: str) -> AsyncIterator[None]:  # noqa: F811
    """Quit this test's screen sessions at the end."""
    require_binary("screen")
    yield
    script = (
        "screen -ls 2>/dev/null | grep -oE '[0-9]+\\.[^[:space:]]+' | grep -F -- "
        f'{shlex.quote(job)} | while read -r s; do screen -S "$s" -X quit; done; true'
    )
    if sshd.proc is None:
        sshd.start()
    await pool.run(sshd.target(), script, timeout=10)


def in_screen(pool: SshPool, sshd: SshdServer, job: str) -> PersistentShell:  # noqa: F811
    return PersistentShell(
        SshShellBackend(pool, sshd.target()),
        RemoteSessions(pool, SCREEN),
        name=session_name(job, "node-1", 1),
        job=f"demo:{job}",
        node="node-1",
        mode="screen",
        rng=lambda: 0.0,
    )


async def test_a_screen_shell_survives_a_restart_and_comes_back_with_its_history(
    pool: SshPool,  # noqa: F811
    sshd: SshdServer,
    job: str,  # noqa: F811
    cleanup: None,
) -> None:
    shell = in_screen(pool, sshd, job)
    await shell.start(80, 24)
    assert shell.active == "screen"
    await read_until(shell, rb"\$")
    shell.write(b"echo $STY; sleep 3; echo surv''ived\n")
    await read_until(shell, rb"\d+\.cd-")
    sshd.stop()
    sshd.start()
    await read_until(shell, rb"survived")
    assert shell.attempts
    await shell.close()  # detach

    listed = await RemoteSessions(pool, SCREEN).ours(sshd.target())
    assert [(s.name, s.job) for s in listed if job in s.name] == [(shell.name, f"demo:{job}")]
    again = in_screen(pool, sshd, job)
    await again.start(80, 24)
    await read_until(again, rb"survived")  # the hardcopy, before screen paints
    assert again.name == shell.name
    await again.end_session()
    assert not [s for s in await RemoteSessions(pool, SCREEN).ours(sshd.target()) if job in s.name]


async def test_a_users_own_screen_session_with_our_name_is_left_alone(
    pool: SshPool,  # noqa: F811
    sshd: SshdServer,
    job: str,  # noqa: F811
    cleanup: None,
) -> None:
    name = session_name(job, "node-1", 1)
    await pool.run(sshd.target(), f"screen -dmS {name} sleep 300", timeout=10)
    shell = in_screen(pool, sshd, job)
    await shell.start(80, 24)
    assert shell.name == session_name(job, "node-1", 2) and "did not make" in shell.note
    await read_until(shell, rb"\$")
    with pytest.raises(Exception, match="not a clusterdeck session"):
        await RemoteSessions(pool, SCREEN).kill(sshd.target(), name)
    probe = await RemoteSessions(pool, SCREEN).probe(sshd.target())
    theirs = probe.find(name)
    assert theirs is not None and not theirs.ours
    # killed from outside: the tab says so
    await pool.run(sshd.target(), f"screen -S '{shell.name}' -X quit", timeout=10)
    await read_to_end(shell)
    assert shell.exit_info is not None and "ended" in shell.exit_info.reason
