"""A shell and a tunnel to a Rescale node: the fake's instance is a real sshd on loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tests.fake_rescale.helpers import job_named, make_provider
from tests.integration.sshd import SshdServer
from tui.core.providers.rescale.credentials import ENV_VAR
from tui.core.providers.rescale.provider import RescaleProvider
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

pytestmark = pytest.mark.sshd


@pytest.fixture
def fake(sshd: SshdServer) -> Iterator[FakeRescale]:
    with running_fake() as server:
        node = {
            "publicIp": "127.0.0.1",
            "username": sshd.user,
            "sshPort": sshd.port,
            "role": "MPI_MASTER",
            "clusterId": "c1",
        }
        worker = {**node, "role": "MPI_SLAVE"}
        server.add_job("cfd-wing", instances=[worker, node], ssh_port=sshd.port)
        yield server


@pytest.fixture
async def provider(
    fake: FakeRescale, sshd: SshdServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RescaleProvider]:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    provider = make_provider(fake, ssh_key=sshd.client_key)
    await provider.start()
    yield provider
    await provider.close()


async def test_enter_on_the_master_opens_a_real_shell(
    provider: RescaleProvider, pool: SshPool, sshd: SshdServer
) -> None:
    nodes = await provider.list_nodes(await job_named(provider, "cfd-wing"))
    assert nodes[0].role == "master"
    target = provider.ssh_target(nodes[0])
    assert (target.user, target.port, target.key_path) == (sshd.user, sshd.port, sshd.client_key)
    shell = SshShellBackend(pool, target)
    await shell.start(80, 24)
    try:
        shell.write(b"echo rescale-node-$((6*7))\n")
        seen = b""
        async with asyncio.timeout(10):
            while not re.search(rb"rescale-node-42", seen):
                chunk = await shell.read()
                assert chunk, f"shell ended early: {seen[-300:]!r}"
                seen += chunk
    finally:
        await shell.close()
    assert sshd.accepted_logins() >= 1


async def test_a_tunnel_through_the_node_reaches_a_service(
    provider: RescaleProvider, pool: SshPool
) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"solver says: " + await reader.readline())
        await writer.drain()
        writer.close()

    service = await asyncio.start_server(echo, "127.0.0.1", 0)
    remote_port = service.sockets[0].getsockname()[1]
    nodes = await provider.list_nodes(await job_named(provider, "cfd-wing"))
    session = await pool.connect(provider.ssh_target(nodes[0]))
    listener = await session.forward_local("127.0.0.1", 0, "127.0.0.1", remote_port)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"residual 3e-5\n")
        await writer.drain()
        async with asyncio.timeout(10):
            assert await reader.read() == b"solver says: residual 3e-5\n"
        writer.close()
    finally:
        listener.close()
        service.close()
        await service.wait_closed()
