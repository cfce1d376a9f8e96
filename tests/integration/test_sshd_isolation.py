"""The test sshd never runs the invoking user's start-up files and never writes in their home.

Sessions log in as the test user (tests/integration/sshd.py): its own home with empty rc files,
so a slow ~/.bashrc of the developer cannot stall a test, and the shell's and `less`'s history
files land in the test home. The real home is found through the password database (the tests'
own HOME points at a temporary directory).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import uuid
from pathlib import Path

import pytest

from tests.integration.sshd import RC_FILES, TEST_HOME, TEST_USER, SshdServer
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

pytestmark = pytest.mark.sshd

WAIT = 15.0


def real_home() -> Path:
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


async def read_until(backend: SshShellBackend, pattern: bytes) -> bytes:
    seen = b""
    async with asyncio.timeout(WAIT):
        while not re.search(pattern, seen):
            chunk = await backend.read()
            if not chunk:
                raise AssertionError(f"session ended before {pattern!r}; got {seen[-500:]!r}")
            seen += chunk
    return seen


async def test_a_command_runs_as_the_test_user_in_its_home_with_empty_rc_files(
    pool: SshPool, sshd: SshdServer
) -> None:
    real = real_home()
    assert real != TEST_HOME and TEST_HOME not in real.parents
    probe = real / f".clusterdeck-probe-{uuid.uuid4().hex}"
    try:
        status, out, err = await pool.run(
            sshd.target(),
            'id -un; echo "$HOME"; pwd; cat ~/.bashrc ~/.profile | wc -c; '
            f"touch {probe} 2>/dev/null && echo wrote-real-home || echo real-home-refused",
            timeout=WAIT,
        )
        assert (status, err) == (0, "")
        assert out.split("\n") == [
            TEST_USER, str(TEST_HOME), str(TEST_HOME), "0", "real-home-refused", ""
        ]  # fmt: skip
        assert not probe.exists()
    finally:
        probe.unlink(missing_ok=True)
    for name in RC_FILES:
        assert (TEST_HOME / name).stat().st_size == 0


async def test_shell_and_less_history_go_to_the_test_home_not_the_real_one(
    pool: SshPool, sshd: SshdServer
) -> None:
    marker = f"cdmark{uuid.uuid4().hex}"
    shell = SshShellBackend(pool, sshd.target())
    await shell.start(100, 30)
    try:
        shell.write(b"export PS1='$ '; echo READY-$((40+2))\n")
        await read_until(shell, rb"READY-42")
        shell.write(f"echo {marker}-$((1+1))\n".encode())  # into the shell's history
        await read_until(shell, f"{marker}-2".encode())
        shell.write(f"printf '%s\\n' one {marker} three | less\n".encode())
        await read_until(shell, rb"\(END\)")  # less runs, the terminal is raw
        shell.write(f"/{marker}\r".encode())  # a search: into less's history
        shell.write(b"q")
        shell.write(b"echo LESS-DONE-$((2+3))\n")
        await read_until(shell, rb"LESS-DONE-5")
        shell.write(b"exit\n")  # bash writes its history when it exits
        async with asyncio.timeout(WAIT):
            while await shell.read():
                pass
    finally:
        await shell.close()
    assert shell.exit_info is not None and shell.exit_info.exit_status == 0
    for name in (".bash_history", ".lesshst"):
        assert marker in (TEST_HOME / name).read_text(errors="replace"), name
        mine = real_home() / name
        if mine.exists():
            assert marker not in mine.read_text(errors="replace"), f"{mine} was written"
