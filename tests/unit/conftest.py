"""Unit-test fixtures: an in-process asyncssh server trusting one passphrase-protected key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import add_known_host

PASSPHRASE = "open sesame"


def _hello(process: asyncssh.SSHServerProcess[str]) -> None:
    process.stdout.write("hello\n")
    process.exit(0)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[SshTarget, Path]]:
    """An asyncssh server trusting one passphrase-protected client key; yields (target, kh)."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    key_path = tmp_path / "locked_key"
    client_key.write_private_key(key_path, format_name="pkcs8-pem", passphrase=PASSPHRASE)
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
