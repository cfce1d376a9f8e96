"""~/.ssh/config as OpenSSH reads it (Include, ProxyJump chains) and the real ssh-agent."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.integration.sshd import SshdServer, keygen, running_sshd, ssh_keygen_fingerprint
from tui.core.errors import SshError
from tui.core.identity.agent import list_agent_keys
from tui.core.identity.errors import IdentityError
from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool
from tui.core.ssh.resolve import resolve_target

pytestmark = pytest.mark.sshd


@pytest.fixture
def two_sshd(tmp_path: Path) -> Iterator[tuple[SshdServer, SshdServer]]:
    with running_sshd(tmp_path / "login") as login, running_sshd(tmp_path / "compute") as node:
        node.authorize(login.client_key)
        yield login, node


def write_configs(home: Path, files: dict[str, str]) -> Path:
    ssh = home / ".ssh"
    for name, text in files.items():
        (ssh / name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        (ssh / name).write_text(text)
    return ssh / "config"


def ssh_g(host: str, config: Path) -> dict[str, list[str]]:
    require_binary("ssh")
    out = subprocess.run(
        ["ssh", "-G", host, "-F", str(config)], capture_output=True, text=True, check=True
    ).stdout
    options: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        options.setdefault(key, []).append(value)
    return options


async def test_include_resolves_as_openssh_does(isolated_home: Path) -> None:
    config = write_configs(
        isolated_home,
        {
            "config": "Include conf.d/*.conf\nHost *\n  User fallback\n",
            "conf.d/10-web.conf": (
                "Host web web2\n  HostName 10.1.2.3\n  Port 2200\n  IdentityFile ~/.ssh/id_web\n"
            ),
            "conf.d/20-db.conf": "Host db\n  HostName db.internal\n  User dbadmin\n",
            "conf.d/ignored.txt": "Host web\n  Port 1\n",
        },
    )
    for host in ("web", "web2", "db", "elsewhere"):
        theirs = ssh_g(host, config)
        ours = await resolve_target(SshTarget(host), [config])
        assert (ours.host, ours.user, ours.port) == (
            theirs["hostname"][0],
            theirs["user"][0],
            int(theirs["port"][0]),
        ), host
        if host.startswith("web"):
            expected = [expand(p) for p in theirs["identityfile"]]
            assert list(ours.identity_files) == expected
        else:
            assert ours.identity_files == ()
    assert getpass.getuser() != "fallback"  # the Host * default really came from the file


async def test_include_loop_is_refused_before_connecting(isolated_home: Path) -> None:
    config = write_configs(
        isolated_home, {"config": "Include again\n", "again": "Include config\n"}
    )
    pool = SshPool(known_hosts_paths=[], ssh_config_paths=[config])
    try:
        with pytest.raises(SshError, match="Include loop"):
            await pool.connect(SshTarget("anywhere"))
    finally:
        await pool.close()


async def test_proxyjump_chain_through_two_sshd(
    two_sshd: tuple[SshdServer, SshdServer], isolated_home: Path, tmp_path: Path
) -> None:
    login, node = two_sshd
    key = login.client_key
    config = write_configs(
        isolated_home,
        {
            "config": "Include cluster.conf\n",
            "cluster.conf": (
                f"Host login\n  HostName 127.0.0.1\n  Port {login.port}\n  User {login.user}\n"
                f"Host compute\n  HostName 127.0.0.1\n  Port {node.port}\n  User {login.user}\n"
                f"  ProxyJump login\n"
                f"Host twohops\n  HostName 127.0.0.1\n  Port {login.port}\n  User {login.user}\n"
                f"  ProxyJump login,compute\n"
                f"Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n"
            ),
        },
    )
    known = tmp_path / "known_hosts"
    login.write_known_hosts(known)
    node.write_known_hosts(known)
    pool = SshPool(known_hosts_paths=[known], ssh_config_paths=[config], use_agent=False)
    try:
        async with asyncio.timeout(30):
            _, out, _ = await pool.run(SshTarget("compute"), "echo $SSH_CONNECTION", timeout=10)
            assert pool.cached(SshTarget("login")) is not None
            assert (login.accepted_logins(), node.accepted_logins()) == (1, 1)
            # login -> compute -> login again: a chain of two jump hosts
            _, hops, _ = await pool.run(SshTarget("twohops"), "echo two", timeout=10)
    finally:
        await pool.close()
    assert out.split()[2:] == ["127.0.0.1", str(node.port)]
    assert hops == "two\n"
    # the first hop reused the pooled login connection; compute was reached again through it
    assert (login.accepted_logins(), node.accepted_logins()) == (2, 2)


def expand(path: str) -> Path:
    return Path(path).expanduser()


def ssh_add(sock: Path, key: Path) -> None:
    """Load `key` into the agent listening on `sock`."""
    env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
    subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True, capture_output=True)


def _accepting(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        return probe.connect_ex(str(path)) == 0


@contextlib.contextmanager
def ssh_agent(sock: Path) -> Iterator[None]:
    require_binary("ssh-agent")
    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(sock)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not _accepting(sock):
            assert time.monotonic() < deadline, "ssh-agent did not start"
            time.sleep(0.01)
        yield
    finally:
        os.kill(agent.pid, signal.SIGTERM)
        agent.wait(timeout=10)


async def test_agent_keys_are_listed_with_fingerprints(tmp_path: Path) -> None:
    sock = tmp_path / "agent.sock"
    keys = [keygen(tmp_path / "a_ed", kind="ed25519"), keygen(tmp_path / "b_ec", kind="ecdsa")]
    with ssh_agent(sock):
        for key in keys:
            ssh_add(sock, key)
        listed = await list_agent_keys(str(sock))
    assert [k.fingerprint for k in listed] == [
        ssh_keygen_fingerprint(Path(f"{k}.pub")) for k in keys
    ]
    assert [(k.kind, k.comment) for k in listed] == [("ED25519", "a_ed"), ("ECDSA", "b_ec")]
    assert await list_agent_keys(None) == []  # SSH_AUTH_SOCK is cleared by the test set-up
    with pytest.raises(IdentityError, match="cannot be reached"):
        await list_agent_keys(str(sock))  # the agent is gone
