"""SshPool against a real OpenSSH sshd: sharing, commands, SFTP, jump hosts, ~/.ssh/config."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, free_port
from tui.core.errors import SshUnreachable
from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd


@pytest.fixture
def known_hosts(tmp_path: Path, sshd: SshdServer) -> Path:
    return sshd.write_known_hosts(tmp_path / "state" / "known_hosts")


@pytest.fixture
async def pool(known_hosts: Path) -> AsyncIterator[SshPool]:
    pool = SshPool(known_hosts_paths=[known_hosts])
    yield pool
    await pool.close()


async def test_one_shared_connection_runs_commands(pool: SshPool, sshd: SshdServer) -> None:
    target = sshd.target()
    async with asyncio.timeout(20):
        first = await pool.connect(target)
        second = await pool.connect(target)
        status, out, err = await pool.run(target, "echo out; echo err >&2; exit 3", timeout=10)
    assert first is second
    assert (status, out, err) == (3, "out\n", "err\n")
    assert sshd.accepted_logins() == 1
    assert first.cipher == "aes128-gcm@openssh.com"


async def test_concurrent_connects_share_one_attempt(pool: SshPool, sshd: SshdServer) -> None:
    async with asyncio.timeout(20):
        conns = await asyncio.gather(*(pool.connect(sshd.target()) for _ in range(5)))
    assert all(conn is conns[0] for conn in conns)
    assert sshd.accepted_logins() == 1


async def test_a_closed_connection_leaves_the_pool(pool: SshPool, sshd: SshdServer) -> None:
    target = sshd.target()
    async with asyncio.timeout(20):
        first = await pool.connect(target)
        first.close()
        await first.wait_closed()
        assert pool.cached(target) is None
        second = await pool.connect(target)
    assert second is not first
    assert sshd.accepted_logins() == 2


async def test_sftp_writes_a_file(pool: SshPool, sshd: SshdServer) -> None:
    dest = sshd.shared_dir() / "via-sftp.txt"
    async with asyncio.timeout(20):
        async with pool.sftp(sshd.target()) as files:
            await files.write(str(dest), b"hello over sftp")
    assert dest.read_text() == "hello over sftp"


async def test_jump_host_tunnels_through_its_pooled_connection(
    pool: SshPool, sshd: SshdServer
) -> None:
    jump = sshd.target()
    target = sshd.target(jump=jump)
    async with asyncio.timeout(20):
        conn = await pool.connect(target)
        status, out, _ = await pool.run(target, "echo via-jump", timeout=10)
        jump_conn = pool.cached(jump)
        assert jump_conn is not None and jump_conn is not conn
        assert sshd.accepted_logins() == 2
        jump_conn.close()  # the tunnelled connection rides on it, so it must go down too
        await conn.wait_closed()
    assert (status, out) == (0, "via-jump\n")
    assert pool.cached(target) is None


def _write_ssh_config(home: Path, text: str) -> None:
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "config").write_text(text)


async def test_ssh_config_supplies_hostname_user_port_and_key(
    known_hosts: Path, sshd: SshdServer, isolated_home: Path
) -> None:
    _write_ssh_config(
        isolated_home,
        f"Host cluster-node\n  HostName 127.0.0.1\n  User {sshd.user}\n  Port {sshd.port}\n"
        f"  IdentityFile {sshd.client_key}\n",
    )
    pool = SshPool(known_hosts_paths=[known_hosts])
    try:
        async with asyncio.timeout(20):
            assert await pool.run(SshTarget("cluster-node"), "whoami", timeout=10) == (
                0,
                f"{sshd.user}\n",
                "",
            )
            closed_port = free_port()
            with pytest.raises(SshUnreachable) as refused:
                await pool.connect(SshTarget("cluster-node", port=closed_port))
    finally:
        await pool.close()
    # an explicit port wins over the config's Port
    assert f"connection refused by 127.0.0.1:{closed_port}" in str(refused.value)


async def test_ssh_config_proxyjump_goes_through_the_pool(
    known_hosts: Path, sshd: SshdServer, isolated_home: Path
) -> None:
    _write_ssh_config(
        isolated_home,
        f"Host inner\n  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
        f"  ProxyJump {sshd.user}@127.0.0.1:{sshd.port}\n"
        f"Host *\n  IdentityFile {sshd.client_key}\n",
    )
    pool = SshPool(known_hosts_paths=[known_hosts])
    try:
        async with asyncio.timeout(20):
            status, out, _ = await pool.run(SshTarget("inner"), "echo inner", timeout=10)
            jump = pool.cached(SshTarget("127.0.0.1", sshd.port, sshd.user))
    finally:
        await pool.close()
    assert (status, out) == (0, "inner\n")
    assert jump is not None
    assert sshd.accepted_logins() == 2
