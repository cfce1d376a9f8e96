"""One host key dialog per host at a time: concurrent connects and retries share it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import wait_until
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import add_known_host
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import TrustChoice


def _hello(process: asyncssh.SSHServerProcess[str]) -> None:
    process.stdout.write("hello\n")
    process.exit(0)


class _Open(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return False  # anyone may log in: these tests are about the host key


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[int, asyncssh.SSHKey]]:
    """An asyncssh server letting anyone in; yields its port and its host key."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    listener = await asyncssh.listen(
        "127.0.0.1", 0, server_host_keys=[host_key], server_factory=_Open, process_factory=_hello
    )
    try:
        yield listener.get_port(), host_key
    finally:
        listener.close()
        await listener.wait_closed()


def target(port: int, user: str) -> SshTarget:
    return SshTarget("127.0.0.1", port, user)  # another user: another pooled connection


async def test_a_changed_key_alerts_once_and_retries_wait_for_the_alert(
    server: tuple[int, asyncssh.SSHKey], tmp_path: Path
) -> None:
    port, _ = server
    known_hosts = tmp_path / "known_hosts"
    other = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    add_known_host(known_hosts, "127.0.0.1", port, other)  # the remembered key differs
    alerts: list[HostKeyChanged] = []
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def alert(error: HostKeyChanged) -> asyncio.Future[None]:
        alerts.append(error)
        return closed

    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, host_key_alert=alert)
    try:
        first = asyncio.ensure_future(pool.run(target(port, "a"), "x"))
        await wait_until(lambda: alerts, what="the alert")
        retry = asyncio.ensure_future(pool.run(target(port, "b"), "x"))
        await wait_until(lambda: pool._dialogs.waiting == 1, what="the retry waiting")
        assert not first.done() and not retry.done()  # nothing reported over the alert
        closed.set_result(None)
        for attempt in (first, retry):
            with pytest.raises(HostKeyChanged):
                await attempt
        with pytest.raises(HostKeyChanged):  # a later retry: refused, not alerted again
            await pool.run(target(port, "c"), "x")
        assert len(alerts) == 1
    finally:
        await pool.close()


async def test_concurrent_connects_to_an_unknown_host_ask_once(
    server: tuple[int, asyncssh.SSHKey], tmp_path: Path
) -> None:
    port, _ = server
    known_hosts = tmp_path / "known_hosts"
    asked: list[HostKeyUnknown] = []
    answer: asyncio.Future[TrustChoice | None] = asyncio.get_running_loop().create_future()

    async def ask(request: HostKeyUnknown) -> TrustChoice | None:
        asked.append(request)
        return await answer

    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, host_key_callback=ask)
    try:
        first = asyncio.ensure_future(pool.run(target(port, "a"), "x"))
        await wait_until(lambda: asked, what="the question")
        second = asyncio.ensure_future(pool.run(target(port, "b"), "x"))
        await wait_until(lambda: pool._dialogs.waiting == 1, what="the second connect waiting")
        answer.set_result("remember")
        assert await first == (0, "hello\n", "")
        assert await second == (0, "hello\n", "")
        assert len(asked) == 1
        assert known_hosts.read_text().count("\n") == 1  # remembered once, not twice
    finally:
        await pool.close()
