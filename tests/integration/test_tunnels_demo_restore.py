"""Saved demo tunnels after a restart: the demo's ports change on every start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tui.core.models import Job, Node
from tui.core.providers.demo.provider import PAGE_TITLE, DemoProvider
from tui.core.ssh.pool import SshPool
from tui.core.tunnels import (
    TunnelManager,
    TunnelSpec,
    TunnelState,
    detect_service,
    provider_resolver,
)
from tui.core.tunnels.store import provider_respec

WAIT = 20.0


async def _dashboard(demo: DemoProvider) -> tuple[Job, Node, int]:
    job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
    master = (await demo.list_nodes(job))[0]
    stream = demo.stream_log(job)
    async with asyncio.timeout(WAIT):
        batch = await anext(stream)
    await stream.aclose()
    [service] = [s for s in map(detect_service, batch.lines) if s is not None]
    return job, master, service.port


def _manager(demo: DemoProvider, pool: SshPool, path: Path) -> TunnelManager:
    return TunnelManager(
        pool, state_path=path, resolver=provider_resolver(demo), respec=provider_respec(demo)
    )


async def test_restored_demo_tunnels_follow_the_new_port_or_say_why_not(tmp_path: Path) -> None:
    state, path = tmp_path / "state", tmp_path / "tunnels.json"
    demo = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await demo.start()
    pool = SshPool(known_hosts_paths=[demo.known_hosts_path], ssh_config_paths=[], use_agent=False)
    try:
        job, master, old_port = await _dashboard(demo)
        first = _manager(demo, pool, path)
        found = detect_service(f"server listening on port {old_port}")
        assert found is not None
        opened = await first.open(found.to_spec(node=master.name, job_key=job.key, local_port=0))
        other = TunnelSpec(master.name, old_port + 1, job_key=job.key, name="notebook")
        await first.open(other)
        await first.wait_for(opened, lambda t: t.state is TunnelState.LISTENING, within=WAIT)
        await first.close()
    finally:
        await pool.close()
        await demo.close()

    again = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await again.start()
    pool = SshPool(known_hosts_paths=[again.known_hosts_path], ssh_config_paths=[], use_agent=False)
    second = _manager(again, pool, path)
    try:
        _, _, new_port = await _dashboard(again)
        assert new_port != old_port  # the stale port the saved tunnel pointed at
        by_name = {t.spec.label: t for t in await second.restore([job.key])}
        dashboard, notebook = by_name[f"port {new_port}"], by_name["notebook"]
        await second.wait_for(dashboard, lambda t: t.state is TunnelState.LISTENING, within=WAIT)
        async with httpx.AsyncClient(timeout=WAIT) as client:
            assert PAGE_TITLE in (await client.get(dashboard.url)).text
        assert notebook.state is TunnelState.FAILED
        assert "from an earlier run" in notebook.state_text
        assert notebook.listening_socket is None
    finally:
        await second.close()
        await pool.close()
        await again.close()
