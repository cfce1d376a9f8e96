"""Tunnels through the demo cluster's nodes (asyncssh servers) to its real HTTP service."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tui.core.errors import TunnelError
from tui.core.models import Job, JobState, Node
from tui.core.providers.demo.provider import PAGE_TITLE, DemoProvider
from tui.core.ssh.pool import SshPool
from tui.core.tunnels import (
    TunnelKind,
    TunnelManager,
    TunnelSpec,
    TunnelState,
    detect_service,
    provider_resolver,
)
from tui.core.tunnels.model import self_loop

WAIT = 20.0


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DemoProvider]:
    state = tmp_path / "state"
    provider = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await provider.start()
    yield provider
    await provider.close()


@pytest.fixture
async def pool(demo: DemoProvider) -> AsyncIterator[SshPool]:
    pool = SshPool(known_hosts_paths=[demo.known_hosts_path], ssh_config_paths=[], use_agent=False)
    yield pool
    await pool.close()


@pytest.fixture
async def manager(
    pool: SshPool, demo: DemoProvider, tmp_path: Path
) -> AsyncIterator[TunnelManager]:
    manager = TunnelManager(
        pool, state_path=tmp_path / "state" / "tunnels.json", resolver=provider_resolver(demo)
    )
    yield manager
    await manager.close()


async def running_job(demo: DemoProvider) -> tuple[Job, Node, int]:
    """cfd-wing, its master node, and the port its log says the dashboard listens on."""
    job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
    master = (await demo.list_nodes(job))[0]
    stream = demo.stream_log(job)
    async with asyncio.timeout(WAIT):
        batch = await anext(stream)
    await stream.aclose()
    services = [s for s in map(detect_service, batch.lines) if s is not None]
    assert len(services) == 1, batch.lines
    return job, master, services[0].port


def spec_for(demo: DemoProvider, job: Job, node: Node, port: int, **changes: object) -> TunnelSpec:
    values: dict[str, object] = {
        "node": node.name,
        "remote_port": port,
        "job_key": job.key,
        "job_name": job.name,
        "target": demo.ssh_target(node),
    }
    return TunnelSpec(**(values | changes))  # type: ignore[arg-type]


async def listening(manager: TunnelManager, spec: TunnelSpec) -> int:
    tunnel = await manager.open(spec)
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)
    return tunnel.local_port


async def test_http_client_gets_the_page_through_the_tunnel(
    manager: TunnelManager, demo: DemoProvider
) -> None:
    job, master, port = await running_job(demo)
    local = await listening(manager, spec_for(demo, job, master, port))
    async with httpx.AsyncClient(timeout=WAIT) as client:
        response = await client.get(f"http://127.0.0.1:{local}/")
    assert response.status_code == 200
    assert PAGE_TITLE in response.text
    [tunnel] = manager.tunnels
    await manager.wait_for(tunnel, lambda t: t.counters.bytes_down >= len(response.content))


async def test_socks_forward_reaches_the_http_service(
    manager: TunnelManager, demo: DemoProvider
) -> None:
    job, master, port = await running_job(demo)
    local = await listening(manager, spec_for(demo, job, master, 0, kind=TunnelKind.SOCKS))
    reader, writer = await asyncio.open_connection("127.0.0.1", local)
    writer.write(b"\x05\x01\x00")
    assert await reader.readexactly(2) == b"\x05\x00"
    writer.write(b"\x05\x01\x00\x03\x09localhost" + port.to_bytes(2, "big"))
    assert (await reader.readexactly(10))[:2] == b"\x05\x00"
    writer.write(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
    async with asyncio.timeout(WAIT):
        page = await reader.read(-1)
    writer.close()
    assert page.startswith(b"HTTP/1.0 200 OK") and PAGE_TITLE.encode() in page


async def test_node_policy_refusal_is_shown_on_the_tunnel(
    manager: TunnelManager, demo: DemoProvider
) -> None:
    job, master, _ = await running_job(demo)
    await listening(manager, spec_for(demo, job, master, 80, remote_host="example.org"))
    [tunnel] = manager.tunnels
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    async with asyncio.timeout(WAIT):
        assert await reader.read() == b""
    writer.close()
    await manager.wait_for(tunnel, lambda t: t.last_error is not None)
    assert tunnel.last_error == (
        "master-0 could not connect to example.org:80: "
        "demo nodes forward to loopback only, not to example.org"
    )
    await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING)


async def test_a_job_that_completes_closes_its_tunnels(
    manager: TunnelManager, demo: DemoProvider
) -> None:
    job, master, port = await running_job(demo)
    local = await listening(manager, spec_for(demo, job, master, port))
    jobs = [
        dataclasses.replace(j, state=JobState.COMPLETED) if j.key == job.key else j
        for j in await demo.list_jobs()
    ]
    [tunnel] = await manager.sync_jobs(jobs)
    assert tunnel.state_text == "closed: job cfd-wing completed"
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", local)


async def test_saved_tunnels_come_back_for_running_jobs(
    pool: SshPool, demo: DemoProvider, tmp_path: Path
) -> None:
    path = tmp_path / "tunnels.json"
    job, master, port = await running_job(demo)
    first = TunnelManager(pool, state_path=path, resolver=provider_resolver(demo))
    local = await listening(first, spec_for(demo, job, master, port, name="dashboard"))
    await first.close()
    saved = path.read_text()
    assert re.search(rf'"bound_port": {local}', saved) and '"name": "dashboard"' in saved

    second = TunnelManager(pool, state_path=path, resolver=provider_resolver(demo))
    assert await second.restore(["demo:no-such-job"]) == []
    [tunnel] = await second.restore([job.key])
    assert tunnel.spec.target is None  # found again through the provider
    await second.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)
    assert tunnel.local_port == local
    async with httpx.AsyncClient(timeout=WAIT) as client:
        assert PAGE_TITLE in (await client.get(tunnel.url)).text
    await second.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_forward_onto_its_own_listener_is_refused_with_the_reason(
    manager: TunnelManager, demo: DemoProvider
) -> None:
    """The demo's nodes are this machine: local P -> localhost:P would loop until fds run out."""
    job, master, _ = await running_job(demo)
    port = _free_port()
    with pytest.raises(TunnelError, match="would connect to itself") as caught:
        await manager.open(spec_for(demo, job, master, port, local_port=port))
    assert caught.value.title == "Tunnel loops onto itself"
    assert f"local port {port}" in caught.value.message
    assert manager.tunnels == []
    with socket.socket() as sock:  # nothing was left listening on the port
        sock.bind(("127.0.0.1", port))


async def test_the_same_ports_through_a_jump_host_are_not_a_loop(demo: DemoProvider) -> None:
    """Behind a jump host, localhost is the node's own loopback, not this machine's."""
    job, master, port = await running_job(demo)
    target = demo.ssh_target(master)
    spec = spec_for(demo, job, master, port, target=dataclasses.replace(target, jump=target))
    assert self_loop(spec, spec.target, port) is None
    assert self_loop(dataclasses.replace(spec, target=target), target, port) is not None
