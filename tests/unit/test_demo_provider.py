"""The demo provider on a manual clock: jobs, nodes, log streams, keys and the dashboard."""

from __future__ import annotations

import asyncio
import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tui.core.clock import ManualClock
from tui.core.errors import ProviderError, StateDirError
from tui.core.models import Job, JobState, LogBatch, NodeState
from tui.core.providers.base import Capability
from tui.core.providers.demo.node import KNOWN_HOSTS_TAG
from tui.core.providers.demo.provider import DemoProvider

WAIT = 10.0
"""Upper bound on any wait for the event loop to catch up (never a fixed sleep)."""


class SleepWatchingClock(ManualClock):
    """A manual clock that lets a test wait until someone is sleeping on it."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        await super().sleep(seconds)


def make(
    tmp_path: Path, *, seed: int = 1, clock: ManualClock | None = None, speed: float = 1.0
) -> DemoProvider:
    state = tmp_path / "state"
    return DemoProvider(
        state_dir=state,
        known_hosts_path=state / "known_hosts",
        seed=seed,
        clock=clock or ManualClock(),
        speed=speed,
    )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
async def clock() -> SleepWatchingClock:
    return SleepWatchingClock()


@pytest.fixture
async def provider(tmp_path: Path, clock: SleepWatchingClock) -> AsyncIterator[DemoProvider]:
    demo = make(tmp_path, clock=clock)
    await demo.start()
    yield demo
    await demo.close()


async def job_named(provider: DemoProvider, name: str) -> Job:
    return next(job for job in await provider.list_jobs() if job.name == name)


async def next_batch(stream: AsyncIterator[LogBatch]) -> LogBatch:
    async with asyncio.timeout(WAIT):
        return await anext(stream)


def without_ports(lines: tuple[str, ...]) -> list[str]:
    return [re.sub(r"port \d+", "port N", line) for line in lines]


async def test_jobs_are_listed_right_after_start(provider: DemoProvider) -> None:
    assert provider.name == "demo"
    assert {Capability.JOBS, Capability.LOGS, Capability.SHELL, Capability.TUNNELS} <= set(
        provider.capabilities
    )
    assert "Demo cluster" in provider.banner()
    jobs = await provider.list_jobs()
    states = {job.name: job.state for job in jobs}
    assert states == {
        "cfd-wing": JobState.RUNNING,
        "md-run": JobState.QUEUED,
        "sweep-17": JobState.COMPLETED,
        "mesh-prep": JobState.FAILED,
    }
    actives = [job.state.is_active for job in jobs]
    assert actives == sorted(actives, reverse=True)  # active first
    assert all(job.provider == "demo" and job.key.startswith("demo:") for job in jobs)


async def test_running_job_nodes_are_live_servers(provider: DemoProvider) -> None:
    nodes = await provider.list_nodes(await job_named(provider, "cfd-wing"))
    assert [(n.name, n.role) for n in nodes] == [
        ("master-0", "master"),
        ("worker-1", "worker"),
        ("worker-2", "worker"),
        ("worker-3", "worker"),
    ]
    assert len({n.port for n in nodes}) == 4
    for node in nodes:
        assert node.host == "127.0.0.1" and node.state is NodeState.RUNNING
        assert node.cores == 36 and node.load is not None and 0 < node.load <= 40
        assert node.user == provider.user
        async with asyncio.timeout(WAIT):
            reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
            assert (await reader.readline()).startswith(b"SSH-2.0-")
        writer.close()
        await writer.wait_closed()
    target = provider.ssh_target(nodes[0])
    assert (target.host, target.port, target.user) == ("127.0.0.1", nodes[0].port, provider.user)
    assert target.key_path == provider.root / "id_ed25519"
    assert stat.S_IMODE(target.key_path.stat().st_mode) == 0o600


async def test_finished_job_nodes_are_stopped(provider: DemoProvider) -> None:
    nodes = await provider.list_nodes(await job_named(provider, "sweep-17"))
    assert nodes and all(n.state is NodeState.STOPPED and n.port == 0 for n in nodes)
    with pytest.raises(ProviderError, match="not running"):
        provider.ssh_target(nodes[0])


async def test_queued_job_starts_then_runs_as_the_clock_moves(
    provider: DemoProvider, clock: ManualClock
) -> None:
    job = await job_named(provider, "md-run")
    nodes = await provider.list_nodes(job)
    assert [(n.state, n.port) for n in nodes] == [(NodeState.PENDING, 0)] * 2
    clock.advance(20)
    job = await job_named(provider, "md-run")
    assert job.state is JobState.STARTING and job.started is None
    clock.advance(10)
    job = await job_named(provider, "md-run")
    assert job.state is JobState.RUNNING and job.started == clock.now()
    nodes = await provider.list_nodes(job)
    assert [n.state for n in nodes] == [NodeState.RUNNING] * 2
    assert all(n.port > 0 for n in nodes)
    known = provider.known_hosts_path.read_text()
    for node in nodes:
        assert f"[127.0.0.1]:{node.port} ssh-ed25519 " in known


async def test_loads_vary_with_time(provider: DemoProvider, clock: ManualClock) -> None:
    job = await job_named(provider, "cfd-wing")
    seen = set()
    for _ in range(10):
        seen.add(tuple(n.load for n in await provider.list_nodes(job)))
        clock.advance(3)
    assert len(seen) > 1


async def test_same_seed_and_clock_give_the_same_demo(tmp_path: Path) -> None:
    async def snapshot(folder: Path, seed: int) -> tuple[object, ...]:
        demo = make(folder, seed=seed)
        await demo.start()
        try:
            jobs = await demo.list_jobs()
            nodes = [
                [(n.name, n.role, n.state, n.cores, n.load) for n in await demo.list_nodes(j)]
                for j in jobs
            ]
            stream = demo.stream_log(jobs[0])
            lines = without_ports((await next_batch(stream)).lines)
            await stream.aclose()
            return jobs, nodes, lines
        finally:
            await demo.close()

    first = await snapshot(tmp_path / "a", 1)
    assert first == await snapshot(tmp_path / "b", 1)
    other = await snapshot(tmp_path / "c", 2)
    assert other[0] == first[0]  # the same jobs...
    assert other[2] != first[2]  # ...but other numbers in the log


async def test_log_stream_resumes_without_gaps_or_duplicates(
    provider: DemoProvider, clock: SleepWatchingClock
) -> None:
    job = await job_named(provider, "cfd-wing")
    stream = provider.stream_log(job)
    first = await next_batch(stream)
    assert first.offset == len(first.lines) > 100 and not first.finished
    clock.sleeping.clear()
    pending = asyncio.ensure_future(next_batch(stream))
    async with asyncio.timeout(WAIT):
        await clock.sleeping.wait()
    assert not pending.done()  # nothing new until the clock moves
    clock.advance(5)
    second = await pending
    assert second.offset == first.offset + len(second.lines) and len(second.lines) == 10
    await stream.aclose()

    clock.advance(2)
    resumed = provider.stream_log(job, offset=second.offset)
    third = await next_batch(resumed)
    await resumed.aclose()
    assert len(third.lines) == 4 and third.offset == second.offset + 4

    whole = provider.stream_log(job)
    reference = await next_batch(whole)
    await whole.aclose()
    assert first.lines + second.lines + third.lines == reference.lines


async def test_log_batches_hold_at_most_2000_lines(tmp_path: Path) -> None:
    clock = ManualClock()
    demo = make(tmp_path, clock=clock, speed=10.0)
    await demo.start()
    try:
        clock.advance(500)  # 5,000 demo seconds: about 10,000 new lines
        stream = demo.stream_log(await job_named(demo, "cfd-wing"))
        offset, sizes = 0, []
        while offset < 10_000:
            batch = await next_batch(stream)
            assert batch.offset == offset + len(batch.lines)
            offset = batch.offset
            sizes.append(len(batch.lines))
        await stream.aclose()
        assert max(sizes) == 2000
    finally:
        await demo.close()


async def test_finished_job_stream_ends_with_finished(provider: DemoProvider) -> None:
    job = await job_named(provider, "sweep-17")
    batches = [batch async for batch in provider.stream_log(job)]
    assert len(batches) == 1 and batches[0].finished
    lines = batches[0].lines
    assert 200 <= len(lines) <= 500
    assert lines[-1].endswith("Job completed successfully (exit code 0)")
    tail = [batch async for batch in provider.stream_log(job, offset=100)]
    assert tail[-1].finished and sum((b.lines for b in tail), ()) == lines[100:]
    done = [batch async for batch in provider.stream_log(job, offset=len(lines))]
    assert [(b.lines, b.offset, b.finished) for b in done] == [((), len(lines), True)]


async def test_queued_job_stream_waits_until_the_job_runs(
    provider: DemoProvider, clock: SleepWatchingClock
) -> None:
    stream = provider.stream_log(await job_named(provider, "md-run"))
    clock.sleeping.clear()
    pending = asyncio.ensure_future(next_batch(stream))
    async with asyncio.timeout(WAIT):
        await clock.sleeping.wait()
    clock.advance(25)  # starting, not yet running: the nodes boot, the log stays empty
    job = await job_named(provider, "md-run")
    async with asyncio.timeout(WAIT):
        nodes = await provider.list_nodes(job)
    assert job.state is JobState.STARTING and all(n.port > 0 for n in nodes)
    assert not pending.done()
    clock.advance(6)
    batch = await pending
    assert batch.offset == len(batch.lines) == 3
    assert "fluxsolve" in batch.lines[0]
    await stream.aclose()


async def test_ssh_line_names_the_master_port_and_the_dashboard_answers(
    provider: DemoProvider,
) -> None:
    job = await job_named(provider, "cfd-wing")
    master = (await provider.list_nodes(job))[0]
    stream = provider.stream_log(job)
    lines = (await next_batch(stream)).lines
    await stream.aclose()
    text = "\n".join(lines)
    assert f"SSH: {provider.user}@127.0.0.1 port {master.port}" in text
    match = re.search(r"server listening on port (\d+)", text)
    assert match
    async with asyncio.timeout(WAIT):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(match.group(1)))
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        reply = await reader.read()
    writer.close()
    assert reply.startswith(b"HTTP/1.0 200 OK")
    assert b"clusterdeck demo solver dashboard" in reply


async def http_page(port: int) -> bytes:
    async with asyncio.timeout(WAIT):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        reply = await reader.read()
    writer.close()
    return reply


async def test_each_running_job_announces_its_own_service(
    provider: DemoProvider, clock: SleepWatchingClock
) -> None:
    clock.advance(60)  # md-run is running too by now
    ports = {}
    for name in ("cfd-wing", "md-run"):
        job = await job_named(provider, name)
        assert job.state is JobState.RUNNING
        stream = provider.stream_log(job)
        text = "\n".join((await next_batch(stream)).lines)
        await stream.aclose()
        match = re.search(r"server listening on port (\d+)", text)
        assert match, name
        ports[name] = int(match.group(1))
    assert ports["cfd-wing"] != ports["md-run"]
    for name, port in ports.items():
        page = await http_page(port)
        assert page.startswith(b"HTTP/1.0 200 OK")
        assert f"<h2>job {name} (".encode() in page


async def test_keys_persist_and_known_hosts_keeps_foreign_lines(tmp_path: Path) -> None:
    known_hosts = tmp_path / "state" / "known_hosts"
    known_hosts.parent.mkdir(parents=True)
    foreign = "example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIForeignKeyForeignKeyForeignKey\n"
    known_hosts.write_text(foreign)
    contents = []
    for _ in range(2):
        demo = make(tmp_path)
        await demo.start()
        await demo.close()
        contents.append(
            (
                (demo.root / "id_ed25519").read_bytes(),
                (demo.root / "hostkeys" / "4207-master-0").read_bytes(),
            )
        )
    assert contents[0] == contents[1]
    lines = known_hosts.read_text().splitlines()
    assert lines[0] == foreign.strip()
    assert len([line for line in lines if line.endswith(KNOWN_HOSTS_TAG)]) == 4
    for path in (demo.root / "id_ed25519", demo.root / "hostkeys" / "4207-worker-3"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (demo.root / "id_ed25519.pub").read_text().startswith("ssh-ed25519 ")


async def test_unwritable_state_dir_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    demo = DemoProvider(state_dir=blocker / "state", known_hosts_path=tmp_path / "kh")
    with pytest.raises(StateDirError, match=re.escape(str(blocker))):
        await demo.start()
    await demo.close()


async def test_close_stops_every_server_and_is_idempotent(tmp_path: Path) -> None:
    demo = make(tmp_path)
    await demo.start()
    nodes = await demo.list_nodes(await job_named(demo, "cfd-wing"))
    await demo.close()
    await demo.close()
    for node in nodes:
        with pytest.raises(OSError):
            async with asyncio.timeout(WAIT):
                await asyncio.open_connection("127.0.0.1", node.port)
    with pytest.raises(ProviderError):
        await anext(demo.stream_log(await job_named(demo, "cfd-wing")))
