"""Node metrics from the real sampler loop: on demo nodes (asyncssh) and on a real OpenSSH sshd.

Both "nodes" are this machine (2 cores, shared with other work): a busy loop started on the
node through SSH must show as >= 40% within two samples and drop once it is killed. There is no
GPU here: a fake `nvidia-smi` script stands in for it.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer
from tui.core.clock import SystemClock
from tui.core.config.watching import WatchSettings
from tui.core.models import Node, NodeState, SshTarget
from tui.core.providers.demo.provider import DemoProvider
from tui.core.ssh.pool import SshPool
from tui.core.watch.metrics import History
from tui.core.watch.sampler import NodeMetrics

pytestmark = pytest.mark.sshd

WAIT = 30.0
FAKE_GPU = "#!/bin/sh\nprintf '37, 1024, 16384\\n12, 0, 16384\\n'\n"


class Samples:
    """Counts samples per node so a test can wait for the next one (no sleeps)."""

    def __init__(self, metrics: NodeMetrics) -> None:
        self.metrics = metrics
        self.changed = asyncio.Event()
        metrics.subscribe(lambda _name: self.changed.set())

    async def next(self, name: str, within: float = WAIT) -> History:
        history = self.metrics.history(name)
        count = len(history.samples) if history else 0
        async with asyncio.timeout(within):
            while True:
                self.changed.clear()
                history = self.metrics.history(name)
                if history is not None and len(history.samples) > count:
                    return history
                assert history is None or not history.problem.startswith("no metrics"), (
                    history.problem
                )
                await self.changed.wait()


async def burn_and_drop(pool: SshPool, target: SshTarget, samples: Samples, name: str) -> None:
    """Start one busy CPU on the node, see it in the samples, kill it, see it go.

    The node is this shared machine: other work may keep it busy, so "gone" means back below
    40% or back to where it was before the loop started (within 10 points).
    """
    await samples.next(name)  # a first sample (no CPU figure yet: it needs two)
    before: list[float] = []
    for _ in range(2):
        last = (await samples.next(name)).last
        assert last is not None and last.cpu is not None
        before.append(last.cpu)
    async with asyncio.timeout(WAIT):
        burner = await pool.process(target, "exec sh -c 'echo $$; while :; do :; done'")
        pid = int((await burner.read()).split()[0])
    try:
        seen: list[float] = []
        for _ in range(2):
            last = (await samples.next(name)).last
            assert last is not None and last.cpu is not None
            seen.append(last.cpu)
        assert max(seen) >= 40.0, f"one busy CPU showed as {seen}"
    finally:
        async with asyncio.timeout(WAIT):
            await pool.run(target, f"kill {pid}")
        burner.close()
    await samples.next(name)  # the sample that still saw part of the loop
    after: list[float] = []
    for _ in range(15):
        last = (await samples.next(name)).last
        assert last is not None and last.cpu is not None
        after.append(last.cpu)
        if last.cpu < 40.0 or last.cpu <= max(before) + 10:
            return
    raise AssertionError(f"CPU stayed up after the loop: {before}, {seen} then {after}")


def meminfo() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    return fields


def check_memory(history: History) -> None:
    last = history.last
    assert last is not None
    here = meminfo()
    assert last.mem_total_kib == here["MemTotal"]
    used = here["MemTotal"] - here["MemAvailable"]
    assert abs(last.mem_used_kib - used) <= 0.1 * here["MemTotal"]
    assert last.cpus == os.cpu_count()


def check_gpus(history: History) -> None:
    last = history.last
    assert last is not None
    assert [(g.util, g.mem_used, g.mem_total) for g in last.gpus] == [
        (37.0, 1024.0, 16384.0),
        (12.0, 0.0, 16384.0),
    ]


def fake_nvidia_smi(folder: Path, owner: Callable[[Path], None] = lambda _p: None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text(FAKE_GPU)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    owner(script)
    return script


# --- demo nodes ---------------------------------------------------------------------------------


@pytest.fixture
async def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DemoProvider]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")  # the demo node's PATH
    state = tmp_path / "state"
    provider = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await provider.start()
    yield provider
    await provider.close()


async def test_demo_node_metrics(demo: DemoProvider) -> None:
    pool = SshPool(known_hosts_paths=[demo.known_hosts_path], use_agent=False)
    metrics = NodeMetrics(pool, settings=WatchSettings(interval=1), clock=SystemClock())
    samples = Samples(metrics)
    try:
        job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
        nodes = await demo.list_nodes(job)
        metrics.show(job.key, nodes, demo.ssh_target)
        assert metrics.sampled == sorted(n.name for n in nodes)
        name = nodes[0].name
        history = await samples.next(name)
        check_memory(history)
        check_gpus(history)  # the fake nvidia-smi on the node's PATH
        await burn_and_drop(pool, demo.ssh_target(nodes[0]), samples, name)
        metrics.show(None, [], demo.ssh_target)  # the job is no longer shown
        assert metrics.sampled == []
    finally:
        await metrics.close()
        await pool.close()


# --- a real OpenSSH sshd --------------------------------------------------------------------------


def node_of(target: SshTarget) -> Node:
    return Node("1", "n1", "node", target.host, target.port, NodeState.RUNNING)


async def test_sshd_node_metrics(sshd: SshdServer, pool: SshPool) -> None:
    shared = sshd.shared_dir()
    uid, gid = shared.stat().st_uid, shared.stat().st_gid
    script = fake_nvidia_smi(shared / "bin", lambda p: os.chown(p, uid, gid))
    settings = WatchSettings(interval=1, nvidia_smi=str(script))
    metrics = NodeMetrics(pool, settings=settings, clock=SystemClock())
    samples = Samples(metrics)
    target = sshd.target()
    try:
        metrics.show("job:1", [node_of(target)], lambda _node: target)
        history = await samples.next("n1")
        check_memory(history)
        check_gpus(history)
        await burn_and_drop(pool, target, samples, "n1")
        assert sshd.accepted_logins() == 1  # one pooled login for the sampler and the tests
    finally:
        await metrics.close()


async def test_no_gpu_columns_without_nvidia_smi(sshd: SshdServer, pool: SshPool) -> None:
    settings = WatchSettings(interval=1, nvidia_smi="/nonexistent/nvidia-smi")
    metrics = NodeMetrics(pool, settings=settings, clock=SystemClock())
    samples = Samples(metrics)
    target = sshd.target()
    try:
        metrics.show("job:1", [node_of(target)], lambda _node: target)
        history = await samples.next("n1")
        assert history.last is not None and history.last.gpus == ()
    finally:
        await metrics.close()


async def test_above_max_nodes_only_asked_nodes(sshd: SshdServer, pool: SshPool) -> None:
    target = sshd.target()
    nodes = [
        Node("1", f"n{i}", "node", "127.0.0.1", sshd.port, NodeState.RUNNING) for i in range(3)
    ]
    metrics = NodeMetrics(pool, settings=WatchSettings(max_nodes=2), clock=SystemClock())
    try:
        metrics.show("job:1", nodes, lambda _node: target)
        assert metrics.sampled == []
        assert "off above 2 nodes (3 here)" in metrics.status
        metrics.ask(nodes[1])
        assert metrics.sampled == ["n1"]
        metrics.show("job:2", nodes[:2], lambda _node: target)  # another job: within the limit
        assert metrics.sampled == ["n0", "n1"] and metrics.status == ""
    finally:
        await metrics.close()


async def test_a_background_connect_never_asks_nor_steals_the_question(
    sshd: SshdServer, tmp_path: Path
) -> None:
    from tui.core.errors import HostKeyUnknown
    from tui.core.ssh.trust import TrustChoice

    asked: list[HostKeyUnknown] = []

    async def once(request: HostKeyUnknown) -> TrustChoice:
        asked.append(request)
        return "once"

    empty = tmp_path / "known_hosts"
    empty.write_text("")
    pool = SshPool(known_hosts_paths=[empty], use_agent=False, host_key_callback=once)
    target = sshd.target()
    try:
        async with asyncio.timeout(WAIT):
            quiet, shell = await asyncio.gather(
                pool.connect(target, ask_host_key=False),
                pool.connect(target),
                return_exceptions=True,
            )
        assert isinstance(quiet, HostKeyUnknown)  # the sampler's attempt: refused, no dialog
        assert not isinstance(shell, BaseException)  # the shell's: asked, and connected
        assert len(asked) == 1
    finally:
        await pool.close()
