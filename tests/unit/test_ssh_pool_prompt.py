"""The pool against an in-process asyncssh server: a passphrase prompt pauses the connect clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool


async def test_a_slow_passphrase_answer_does_not_time_out(
    server: tuple[SshTarget, Path],
) -> None:
    target, known_hosts = server
    timeout = 0.3
    asked = 0

    async def slow_user(path: Path, error: str | None = None) -> str | None:
        nonlocal asked
        asked += 1
        await asyncio.sleep(timeout * 2)  # the user takes longer than the connect timeout
        return "open sesame"

    pool = SshPool(
        known_hosts_paths=[known_hosts], connect_timeout=timeout, passphrase_callback=slow_user
    )
    try:
        async with asyncio.timeout(10):
            assert await pool.run(target, "anything", timeout=5) == (0, "hello\n", "")
    finally:
        await pool.close()
    assert asked == 1
