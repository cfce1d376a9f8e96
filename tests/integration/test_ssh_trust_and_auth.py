"""Host key verification and OpenSSH-like authentication against a real sshd."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.integration.sshd import (
    SshdServer,
    keygen,
    ssh_keygen_fingerprint,
)
from tui.core.errors import HostKeyChanged, HostKeyUnknown, SshAuthError
from tui.core.ssh.hostkeys import add_known_host
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import TrustChoice

pytestmark = pytest.mark.sshd


@pytest.fixture
def known_hosts(tmp_path: Path, sshd: SshdServer) -> Path:
    return sshd.write_known_hosts(tmp_path / "state" / "known_hosts")


async def connect_once(pool: SshPool, sshd: SshdServer, **target: object) -> None:
    try:
        async with asyncio.timeout(20):
            await pool.connect(sshd.target(**target))
    finally:
        await pool.close()


async def test_unknown_host_key_names_its_fingerprint_then_trusting_it_works(
    sshd: SshdServer, tmp_path: Path
) -> None:
    app_known_hosts = tmp_path / "state" / "known_hosts"
    with pytest.raises(HostKeyUnknown) as caught:
        await connect_once(SshPool(known_hosts_paths=[app_known_hosts]), sshd)
    error = caught.value
    expected = ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub"))
    assert error.fingerprint == expected
    assert expected in error.message and "ssh-ed25519" in error.message
    assert f"127.0.0.1:{sshd.port}" in error.message and "not trusted" in error.message
    assert sshd.accepted_logins() == 0  # never logged in to an untrusted host

    add_known_host(
        app_known_hosts, error.host, error.port, asyncssh.import_public_key(error.public_key)
    )
    await connect_once(SshPool(known_hosts_paths=[app_known_hosts]), sshd)
    assert sshd.accepted_logins() == 1


def _known_hosts_with_an_impostor(sshd: SshdServer, tmp_path: Path) -> Path:
    """known_hosts whose line 2 holds another ed25519 key for the server's [host]:port."""
    other = keygen(tmp_path / "impostor_host_key")
    known = tmp_path / "known_hosts"
    known.write_text("# first line is a comment\n")
    return sshd.write_known_hosts(known, key_line=Path(f"{other}.pub").read_text())


async def test_changed_host_key_is_refused_loudly(sshd: SshdServer, tmp_path: Path) -> None:
    known = _known_hosts_with_an_impostor(sshd, tmp_path)
    with pytest.raises(HostKeyChanged) as caught:
        await connect_once(SshPool(known_hosts_paths=[known]), sshd)
    error = caught.value
    assert (error.known_hosts_path, error.line) == (str(known), 2)
    assert "man-in-the-middle" in error.message and f"{known} line 2" in error.message
    assert error.fingerprint == ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub"))
    assert sshd.accepted_logins() == 0


async def test_the_users_own_known_hosts_is_read(
    sshd: SshdServer, tmp_path: Path, isolated_home: Path
) -> None:
    sshd.write_known_hosts(isolated_home / ".ssh" / "known_hosts")
    await connect_once(SshPool(known_hosts_paths=[tmp_path / "missing" / "known_hosts"]), sshd)
    assert sshd.accepted_logins() == 1


async def test_host_key_alias_from_the_ssh_config_names_the_known_hosts_entry(
    sshd: SshdServer, tmp_path: Path
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host 127.0.0.1\n  HostKeyAlias login.cluster\n")
    known = tmp_path / "known_hosts"
    known.write_text(f"[login.cluster]:{sshd.port} {sshd.host_public_key()}\n")
    # under its address the host is unknown: only the alias can have trusted it
    with pytest.raises(HostKeyUnknown):
        await connect_once(SshPool(known_hosts_paths=[known], ssh_config_paths=[]), sshd)
    await connect_once(SshPool(known_hosts_paths=[known], ssh_config_paths=[config]), sshd)
    assert sshd.accepted_logins() == 1

    remembered = tmp_path / "remembered"

    async def remember(_: HostKeyUnknown) -> TrustChoice:
        return "remember"

    pool = SshPool(
        known_hosts_paths=[remembered], ssh_config_paths=[config], host_key_callback=remember
    )
    await connect_once(pool, sshd)
    assert remembered.read_text().startswith(f"[login.cluster]:{sshd.port} ssh-ed25519 ")


async def test_a_refused_key_is_listed_in_the_auth_error(
    sshd: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    stranger = keygen(tmp_path / "stranger_key")
    with pytest.raises(SshAuthError) as caught:
        await connect_once(SshPool(known_hosts_paths=[known_hosts]), sshd, key_path=stranger)
    message = caught.value.message
    assert f"{sshd.user}@127.0.0.1:{sshd.port} refused every key offered" in message
    assert str(stranger) in message
    assert ssh_keygen_fingerprint(Path(f"{stranger}.pub")) in message
    assert "ssh-agent: not used" in message
    assert "authorized_keys" in message  # says how to fix it


async def test_encrypted_key_asks_again_after_a_wrong_passphrase(
    sshd: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    # PEM format: decrypting OpenSSH-format keys needs the optional bcrypt package
    key = keygen(tmp_path / "locked_key", kind="ecdsa", passphrase="right", fmt="PEM")
    sshd.authorize(key)
    asked: list[Path] = []
    answers = iter(["wrong", "right"])

    async def passphrase(path: Path, error: str | None = None) -> str | None:
        asked.append(path)
        return next(answers)

    pool = SshPool(known_hosts_paths=[known_hosts], passphrase_callback=passphrase)
    await connect_once(pool, sshd, key_path=key)
    assert asked == [key, key]
    assert sshd.accepted_logins() == 1


async def test_encrypted_key_without_a_way_to_ask_is_skipped_with_a_note(
    sshd: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    key = keygen(tmp_path / "locked_key", kind="ecdsa", passphrase="right", fmt="PEM")
    sshd.authorize(key)
    with pytest.raises(SshAuthError) as caught:
        await connect_once(SshPool(known_hosts_paths=[known_hosts]), sshd, key_path=key)
    assert f"{key} (passphrase-protected" in caught.value.message
    assert caught.value.message.startswith(f"No key could be offered to {sshd.user}@127.0.0.1:")


def _agent_took(key: Path, sock: Path) -> bool:
    """Try to add `key` to the agent at `sock`; False while the agent is not listening yet."""
    if not sock.exists():
        return False
    env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
    return subprocess.run(["ssh-add", str(key)], env=env, capture_output=True).returncode == 0


@pytest.fixture
def agent(tmp_path: Path, sshd: SshdServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ssh-agent holding the server's authorized client key."""
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(sock)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _agent_took(sshd.client_key, sock):  # poll until the agent is up
            if time.monotonic() > deadline:
                pytest.fail("ssh-agent did not come up within 10 s")
            time.sleep(0.01)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        proc.kill()
        proc.wait()


async def test_agent_keys_come_first_and_can_be_turned_off(
    sshd: SshdServer, known_hosts: Path, agent: Path, tmp_path: Path
) -> None:
    stranger = keygen(tmp_path / "stranger_key")
    # the agent's key logs in even though the target names a refused key file
    await connect_once(SshPool(known_hosts_paths=[known_hosts]), sshd, key_path=stranger)
    assert sshd.accepted_logins() == 1

    with pytest.raises(SshAuthError) as caught:
        pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False)
        await connect_once(pool, sshd, key_path=stranger)
    assert "ssh-agent: not used (turned off in clusterdeck)" in caught.value.message
