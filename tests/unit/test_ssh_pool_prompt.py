"""The pool against an in-process asyncssh server: a passphrase prompt pauses the connect clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import add_known_host
from tui.core.ssh.pool import SshPool


def _hello(process: asyncssh.SSHServerProcess[str]) -> None:
    process.stdout.write("hello\n")
    process.exit(0)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[SshTarget, Path]]:
    """An asyncssh server trusting one passphrase-protected client key; yields (target, kh)."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    key_path = tmp_path / "locked_key"
    client_key.write_private_key(key_path, format_name="pkcs8-pem", passphrase="open sesame")
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    listener = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=authorized,
        process_factory=_hello,
    )
    port = listener.get_port()
    known_hosts = tmp_path / "known_hosts"
    add_known_host(known_hosts, "127.0.0.1", port, host_key.convert_to_public())
    try:
        yield SshTarget("127.0.0.1", port, "tester", key_path), known_hosts
    finally:
        listener.close()
        await listener.wait_closed()


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
