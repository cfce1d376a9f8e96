"""`@cert-authority` lines in known_hosts against a real OpenSSH sshd.

A host whose certificate a trusted CA signed connects without a question; a plain-key host that
has only CA lines for its name gets the ordinary unknown-key question (not a failed handshake).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, keygen, require_sshd, ssh_keygen_fingerprint
from tui.core.errors import HostKeyError, HostKeyUnknown, SshError, SshUnreachable
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import TrustChoice

pytestmark = pytest.mark.sshd


def ca_known_hosts(path: Path, ca_key: Path) -> Path:
    """A known_hosts holding only one `@cert-authority` line, for every port of 127.0.0.1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"@cert-authority [127.0.0.1]:* {Path(f'{ca_key}.pub').read_text()}")
    return path


def _serve(server: SshdServer) -> Iterator[SshdServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def plain_sshd(tmp_path: Path) -> Iterator[SshdServer]:
    """An sshd with a plain host key (no certificate)."""
    require_sshd()
    yield from _serve(SshdServer(tmp_path / "plain"))


@pytest.fixture
def ca_key(tmp_path: Path) -> Path:
    return keygen(tmp_path / "host_ca")


@pytest.fixture
def cert_sshd(tmp_path: Path, ca_key: Path) -> Iterator[SshdServer]:
    """An sshd presenting a host certificate for 127.0.0.1 signed by `ca_key`."""
    require_sshd()
    server = SshdServer(tmp_path / "cert")
    sign = ["ssh-keygen", "-q", "-s", str(ca_key), "-I", "test-host", "-h", "-n", "127.0.0.1"]
    subprocess.run([*sign, "-V", "-5m:+1h", f"{server.host_key}.pub"], check=True)
    cert = Path(f"{server.host_key}-cert.pub")
    assert cert.exists()
    with server.config.open("a") as out:
        out.write(f"HostCertificate {cert}\n")
    yield from _serve(server)


class Asker:
    """A host key callback that records each question and gives one answer."""

    def __init__(self, answer: TrustChoice | None) -> None:
        self.answer = answer
        self.asked: list[HostKeyUnknown] = []

    async def __call__(self, request: HostKeyUnknown) -> TrustChoice | None:
        self.asked.append(request)
        return self.answer


async def connect_once(pool: SshPool, server: SshdServer) -> None:
    try:
        async with asyncio.timeout(20):
            await pool.connect(server.target())
    finally:
        await pool.close()


async def test_plain_key_host_with_only_a_ca_line_gets_the_unknown_key_question(
    plain_sshd: SshdServer, tmp_path: Path, ca_key: Path
) -> None:
    known = ca_known_hosts(tmp_path / "state" / "known_hosts", ca_key)
    asker = Asker(None)
    pool = SshPool(known_hosts_paths=[known], use_agent=False, host_key_callback=asker)
    with pytest.raises(HostKeyUnknown) as caught:
        await connect_once(pool, plain_sshd)
    assert len(asker.asked) == 1
    expected = ssh_keygen_fingerprint(Path(f"{plain_sshd.host_key}.pub"))
    assert asker.asked[0].fingerprint == caught.value.fingerprint == expected
    assert plain_sshd.accepted_logins() == 0

    once = SshPool(known_hosts_paths=[known], use_agent=False, host_key_callback=Asker("once"))
    await connect_once(once, plain_sshd)
    assert plain_sshd.accepted_logins() == 1


async def test_host_certificate_signed_by_a_trusted_ca_connects_without_a_question(
    cert_sshd: SshdServer, tmp_path: Path, ca_key: Path
) -> None:
    known = ca_known_hosts(tmp_path / "state" / "known_hosts", ca_key)
    asker = Asker(None)
    pool = SshPool(known_hosts_paths=[known], use_agent=False, host_key_callback=asker)
    await connect_once(pool, cert_sshd)
    assert asker.asked == []
    assert cert_sshd.accepted_logins() == 1


async def test_host_certificate_from_an_untrusted_ca_is_refused(
    cert_sshd: SshdServer, tmp_path: Path
) -> None:
    other_ca = keygen(tmp_path / "other_ca")
    known = ca_known_hosts(tmp_path / "state" / "known_hosts", other_ca)
    pool = SshPool(known_hosts_paths=[known], use_agent=False, host_key_callback=Asker("once"))
    with pytest.raises(HostKeyError, match="CA key is not trusted"):
        await connect_once(pool, cert_sshd)
    assert cert_sshd.accepted_logins() == 0


async def test_a_handshake_without_a_common_host_key_algorithm_says_so(
    plain_sshd: SshdServer, tmp_path: Path
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n  HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com\n")
    pool = SshPool(
        known_hosts_paths=[tmp_path / "state" / "known_hosts"],
        use_agent=False,
        ssh_config_paths=[config],
    )
    with pytest.raises(SshError) as caught:
        await connect_once(pool, plain_sshd)
    assert not isinstance(caught.value, SshUnreachable)
    assert "no host key algorithm in common" in caught.value.message
    assert "ssh-ed25519-cert-v01@openssh.com" in caught.value.message
