"""The inventory provider against two real sshd: listing, SSH targets, jump hosts, log commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary
from tests.integration.sshd import SSHD, TEST_USER, SshdServer, running_sshd
from tui.core.clock import ManualClock
from tui.core.errors import SshError
from tui.core.models import LogBatch, NodeState
from tui.core.providers.base import ProviderContext
from tui.core.providers.inventory.provider import InventoryProvider
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd

WAIT = 20.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[SshdServer, SshdServer]]:
    require_binary(SSHD)
    with running_sshd(tmp_path / "a") as a, running_sshd(tmp_path / "b") as b:
        b.authorize(a.client_key)
        yield a, b


@pytest.fixture
async def pool(servers: tuple[SshdServer, SshdServer], tmp_path: Path) -> AsyncIterator[SshPool]:
    known = tmp_path / "known_hosts"
    for server in servers:
        server.write_known_hosts(known)
    pool = SshPool(known_hosts_paths=[known], use_agent=False, connect_timeout=10)
    yield pool
    await pool.close()


def inventory(tmp_path: Path, pool: SshPool, **options: Any) -> InventoryProvider:
    context = ProviderContext(tmp_path, tmp_path / "known_hosts", ManualClock(), "mine", pool=pool)
    return InventoryProvider.create(options, context)


async def server_port(pool: SshPool, provider: InventoryProvider, node: Any) -> int:
    """The port of the sshd that `node`'s target really reached ($SSH_CONNECTION)."""
    async with asyncio.timeout(WAIT):
        code, out, _ = await pool.run(provider.ssh_target(node), "echo $SSH_CONNECTION")
    assert code == 0
    return int(out.split()[3])


async def test_configured_clusters_reach_each_node(
    servers: tuple[SshdServer, SshdServer], pool: SshPool, tmp_path: Path, isolated_home: Path
) -> None:
    a, b = servers
    ssh = isolated_home / ".ssh"
    ssh.mkdir()
    (ssh / "config").write_text(
        f"Host hop\n  HostName 127.0.0.1\n  Port {a.port}\n  User {TEST_USER}\n"
        f"  IdentityFile {a.client_key}\n"
    )
    provider = inventory(
        tmp_path,
        pool,
        user=TEST_USER,
        clusters=[
            {
                "name": "lab",
                "nodes": [
                    {"name": "a", "host": "127.0.0.1", "port": a.port, "key": str(a.client_key)},
                    {
                        "name": "b",
                        "host": "127.0.0.1",
                        "port": b.port,
                        "key": str(b.client_key),
                        "tags": ["gpu"],
                    },
                ],
            },
            {
                "name": "behind",
                "jump": "hop",  # a Host of ~/.ssh/config
                "nodes": [f"{TEST_USER}@127.0.0.1:{b.port}"],
                "key": str(a.client_key),
            },
        ],
    )
    jobs = await provider.list_jobs()
    assert [(j.name, j.node_count, j.status_detail) for j in jobs] == [
        ("lab", 2, "2 nodes · inventory"),
        ("behind", 1, "1 node · inventory"),
    ]
    nodes = await provider.list_nodes(jobs[0])
    assert [(n.name, n.role, n.port, n.state, n.user) for n in nodes] == [
        ("a", "node", a.port, NodeState.RUNNING, TEST_USER),
        ("b", "gpu", b.port, NodeState.RUNNING, TEST_USER),
    ]
    assert [await server_port(pool, provider, n) for n in nodes] == [a.port, b.port]
    [hidden] = await provider.list_nodes(jobs[1])
    assert hidden.state is NodeState.UNKNOWN  # behind a jump host: not probed
    before = a.accepted_logins()
    assert await server_port(pool, provider, hidden) == b.port
    assert a.accepted_logins() == before + 1  # through the jump host


async def test_ssh_config_hosts_with_include_are_clusters_of_one(
    servers: tuple[SshdServer, SshdServer], pool: SshPool, tmp_path: Path, isolated_home: Path
) -> None:
    a, b = servers
    ssh = isolated_home / ".ssh"
    (ssh / "hosts.d").mkdir(parents=True)
    (ssh / "config").write_text(f"Include hosts.d/*.conf\nHost *\n  User {TEST_USER}\n")
    for name, server in (("alpha", a), ("beta", b)):
        (ssh / "hosts.d" / f"{name}.conf").write_text(
            f"Host {name}\n  HostName 127.0.0.1\n  Port {server.port}\n"
            f"  IdentityFile {server.client_key}\n"
        )
    provider = inventory(tmp_path, pool, ssh_config=True)
    jobs = await provider.list_jobs()
    assert [(j.name, j.status_detail) for j in jobs] == [
        ("alpha", "1 node · ~/.ssh/config"),
        ("beta", "1 node · ~/.ssh/config"),
    ]
    ports = []
    for job, server in zip(jobs, servers, strict=True):
        [node] = await provider.list_nodes(job)
        assert (node.name, node.host, node.port, node.user) == (
            job.name,
            "127.0.0.1",
            server.port,
            TEST_USER,
        )
        assert node.state is NodeState.RUNNING
        ports.append(await server_port(pool, provider, node))
    assert ports == [a.port, b.port]


async def next_batches(
    stream: AsyncIterator[LogBatch], until: Callable[[list[str]], bool]
) -> list[str]:
    """Lines from `stream` until `until(lines)` holds."""
    lines: list[str] = []
    async with asyncio.timeout(WAIT):
        while not until(lines):
            batch = await anext(stream)
            lines.extend(batch.lines)
    return lines


async def test_log_command_streams_and_resumes_after_a_reconnect(
    servers: tuple[SshdServer, SshdServer], pool: SshPool, tmp_path: Path
) -> None:
    a, _ = servers
    log = a.shared_dir() / "service.log"  # the login user cannot read tmp_path
    log.write_text("".join(f"line {i}\n" for i in range(1, 4)))
    provider = inventory(
        tmp_path,
        pool,
        clusters=[
            {
                "name": "lab",
                "user": TEST_USER,
                "key": str(a.client_key),
                "log_command": f"tail -n 5 -F {log}",
                "nodes": [f"127.0.0.1:{a.port}"],
            }
        ],
    )
    [job] = await provider.list_jobs()
    stream = provider.stream_log(job)
    lines = await next_batches(stream, lambda got: "line 3" in got)
    assert lines == ["line 1", "line 2", "line 3"]
    with log.open("a") as out:
        out.write("line 4\n")
    assert await next_batches(stream, lambda got: bool(got)) == ["line 4"]
    a.stop()
    with pytest.raises(SshError):
        async with asyncio.timeout(WAIT):
            async for _ in stream:
                pass
    with log.open("a") as out:
        out.write("line 5\n")
    a.start()
    resumed = provider.stream_log(job, offset=4)
    first = await anext(resumed)
    assert first.lines == (
        f"── reconnected: re-ran `tail -n 5 -F {log}`; skipped 4 lines already shown",
        "line 5",
    )
    assert first.offset == 6
    await resumed.aclose()


async def test_a_log_command_that_exits_ends_the_log(
    servers: tuple[SshdServer, SshdServer], pool: SshPool, tmp_path: Path
) -> None:
    a, _ = servers
    provider = inventory(
        tmp_path,
        pool,
        user=TEST_USER,
        key=str(a.client_key),
        log_command="echo one; echo two >&2; sleep 0.3; printf three; exit 3",
        clusters=[{"name": "lab", "nodes": [f"127.0.0.1:{a.port}"]}],
    )
    [job] = await provider.list_jobs()
    async with asyncio.timeout(WAIT):
        batches = [batch async for batch in provider.stream_log(job)]
    lines = [line for batch in batches for line in batch.lines]
    assert sorted(lines[:3]) == ["one", "three", "two"]  # stderr too; a last partial line
    assert lines[3] == (
        "── `echo one; echo two >&2; sleep 0.3; printf three; exit 3` exited with status 3; "
        "check `log_command` in the config"
    )
    assert batches[-1].finished and batches[-1].offset == 4
