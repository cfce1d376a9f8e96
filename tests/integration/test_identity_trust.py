"""Host key trust against a real sshd: ask, remember, once, per job; a changed key is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, keygen, ssh_keygen_fingerprint
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.ssh.hostkeys import entries_for
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import TrustChoice, TrustRequest

pytestmark = pytest.mark.sshd


class Asker:
    """A host key callback that answers from a script and records every question."""

    def __init__(self, *answers: TrustChoice | None) -> None:
        self.answers = list(answers)
        self.asked: list[HostKeyUnknown] = []

    async def __call__(self, request: HostKeyUnknown) -> TrustChoice | None:
        self.asked.append(request)
        return self.answers.pop(0)


async def login(pool: SshPool, sshd: SshdServer, **target: object) -> str:
    try:
        async with asyncio.timeout(20):
            _, out, _ = await pool.run(sshd.target(**target), "echo ok", timeout=10)
            return out
    finally:
        await pool.close()


def new_host_key(sshd: SshdServer) -> None:
    """Restart sshd with a freshly generated host key (a reinstall, or an impostor)."""
    sshd.stop()
    for path in (sshd.host_key, Path(f"{sshd.host_key}.pub")):
        path.unlink()
    keygen(sshd.host_key)
    sshd.start()


async def test_remember_connects_writes_known_hosts_and_is_not_asked_again(
    sshd: SshdServer, tmp_path: Path
) -> None:
    known = tmp_path / "state" / "known_hosts"
    ask = Asker("remember")
    assert await login(SshPool(known_hosts_paths=[known], host_key_callback=ask), sshd) == "ok\n"
    expected = ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub"))
    [request] = ask.asked
    assert isinstance(request, TrustRequest) and request.job_id is None
    assert (request.host, request.port, request.fingerprint) == ("127.0.0.1", sshd.port, expected)
    assert known.read_text() == f"[127.0.0.1]:{sshd.port} {sshd.host_public_key()}\n"
    again = Asker()
    assert await login(SshPool(known_hosts_paths=[known], host_key_callback=again), sshd)
    assert again.asked == [] and sshd.accepted_logins() == 2

    # Reinstalled (or impersonated): refused with both fingerprints; no question, no override.
    new_host_key(sshd)
    alerts: list[HostKeyChanged] = []
    pool = SshPool(known_hosts_paths=[known], host_key_callback=again, host_key_alert=alerts.append)
    with pytest.raises(HostKeyChanged) as caught:
        await login(pool, sshd)
    error = caught.value
    new = ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub"))
    assert error.fingerprint == new and expected in error.message and new in error.message
    assert (error.known_hosts_path, error.line) == (str(known), 1)
    assert alerts == [error] and again.asked == []
    assert sshd.accepted_logins() == 2


async def test_once_and_cancel_write_nothing(sshd: SshdServer, tmp_path: Path) -> None:
    known = tmp_path / "state" / "known_hosts"
    ask = Asker("once", None)
    pool = SshPool(known_hosts_paths=[known], host_key_callback=ask)
    assert await login(pool, sshd) == "ok\n"
    assert not known.exists() and not pool.job_hosts_path.exists()
    with pytest.raises(HostKeyUnknown):
        await login(SshPool(known_hosts_paths=[known], host_key_callback=ask), sshd)
    assert len(ask.asked) == 2 and not known.exists()
    assert sshd.accepted_logins() == 1


async def test_job_trust_lasts_until_the_job_ends(sshd: SshdServer, tmp_path: Path) -> None:
    known = tmp_path / "state" / "known_hosts"
    ask = Asker("job", "job")
    pool = SshPool(known_hosts_paths=[known], host_key_callback=ask)
    assert await login(pool, sshd, trust_scope="job-17") == "ok\n"
    request = ask.asked[0]
    assert isinstance(request, TrustRequest) and request.job_id == "job-17"
    assert pool.job_hosts_path == known.with_name("known_hosts.jobs")
    assert "clusterdeck-job=job-17" in pool.job_hosts_path.read_text()
    assert not known.exists()  # never in the permanent file

    same_job = SshPool(known_hosts_paths=[known], host_key_callback=ask)
    assert await login(same_job, sshd, trust_scope="job-17") == "ok\n"
    assert len(ask.asked) == 1  # trusted while the job runs

    # Today's job reuses the address with a new node key: yesterday's trust must be gone.
    assert pool.forget_job_trust("job-17") == 1
    assert entries_for([pool.job_hosts_path], "127.0.0.1", sshd.port) == ()
    new_host_key(sshd)
    today = SshPool(known_hosts_paths=[known], host_key_callback=ask)
    assert await login(today, sshd, trust_scope="job-18") == "ok\n"
    assert len(ask.asked) == 2  # asked (unknown, not "changed") and trusted for job-18
    assert today.retain_job_trust(["job-18"]) == 0
    assert today.retain_job_trust([]) == 1


async def test_job_choice_without_a_job_trusts_once(sshd: SshdServer, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    pool = SshPool(known_hosts_paths=[known], host_key_callback=Asker("job"))
    assert await login(pool, sshd) == "ok\n"
    assert not known.exists() and not pool.job_hosts_path.exists()
