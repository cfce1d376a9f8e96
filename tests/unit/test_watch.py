"""The job loop without Textual: `JobWatcher` on the real demo provider with a manual clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import wait_until
from tests.watchhelpers import (
    CFD,
    MD,
    POLL,
    SWEEP,
    FaultyDemo,
    Recorder,
    Sleeps,
    is_log_of,
    started,
    trusted,
)
from tui.core.clock import ManualClock
from tui.core.models import JobState
from tui.core.providers.group import ProviderGroup
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import add_job_host
from tui.core.tunnels import TunnelManager, TunnelState, provider_resolver
from tui.core.watch import (
    Failed,
    JobsEnded,
    JobsUpdated,
    JobWatcher,
    LogFinished,
    LogLines,
    LogStarted,
    NodesUpdated,
    Pane,
    ProviderProblem,
    ProviderStarted,
    ProviderStartFailed,
    Recovered,
    SelectionChanged,
    ServiceDetected,
    TimeLimitNear,
    TimeWarnings,
)


@pytest.fixture
async def demo(state_dir: Path, clock: ManualClock) -> AsyncIterator[FaultyDemo]:
    provider = FaultyDemo(state_dir, clock)
    yield provider
    await provider.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def pool(state_dir: Path) -> AsyncIterator[SshPool]:
    pool = SshPool(
        known_hosts_paths=[state_dir / "known_hosts"], ssh_config_paths=[], use_agent=False
    )
    yield pool
    await pool.close()


@pytest.fixture
async def watcher(
    demo: FaultyDemo, clock: ManualClock, sleeps: Sleeps, pool: SshPool
) -> AsyncIterator[JobWatcher]:
    watcher = JobWatcher(demo, clock=clock, trust=pool, poll_interval=POLL, sleep=sleeps)
    yield watcher
    await watcher.close()


async def test_the_first_poll_reports_jobs_then_the_selected_job(
    watcher: JobWatcher, clock: ManualClock
) -> None:
    seen = await started(watcher)
    kinds = [type(e) for e in seen.events]
    first = [ProviderStarted, JobsUpdated, TimeWarnings, SelectionChanged, LogStarted]
    assert [k for k in kinds if k in first][:5] == first
    [listing] = seen.of(JobsUpdated)
    assert [job.name for job in listing.jobs] == ["cfd-wing", "md-run", "sweep-17", "mesh-prep"]
    assert listing.now == clock.now() and dict(listing.problems) == {}
    assert seen.of(SelectionChanged)[0].job.key == CFD == watcher.selected.key  # type: ignore[union-attr]
    [nodes] = seen.of(NodesUpdated)
    assert [n.name for n in nodes.nodes] == ["master-0", "worker-1", "worker-2", "worker-3"]
    assert seen.index(lambda e: isinstance(e, SelectionChanged)) < seen.events.index(nodes)
    assert set(watcher.nodes) == {n.name for n in nodes.nodes}
    lines = seen.lines("cfd-wing")
    assert any(f"port {nodes.nodes[0].port}" in line for line in lines if "SSH:" in line)
    [service] = seen.of(ServiceDetected)
    announced = seen.index(
        lambda e: isinstance(e, LogLines) and any("listening" in x for x in e.lines)
    )
    assert announced < seen.events.index(service)
    assert not seen.of(Failed)


async def test_the_log_resumes_at_its_offset_after_a_drop(
    watcher: JobWatcher, demo: FaultyDemo, clock: ManualClock, sleeps: Sleeps
) -> None:
    seen = await started(watcher)
    before = seen.of(LogLines)[-1].offset
    assert before == len(seen.lines("cfd-wing"))
    demo.drop = True
    clock.advance(5)  # ten new lines are due; the stream breaks instead of sending them
    await seen.until(lambda e: isinstance(e, Recovered), "the log back")
    assert [o for name, o in demo.offsets if name == "cfd-wing"] == [0, before]
    failed = seen.index(lambda e: isinstance(e, Failed))
    resumed = seen.index(lambda e: isinstance(e, LogLines) and e.offset > before)
    recovered = seen.index(lambda e: isinstance(e, Recovered))
    assert failed < resumed < recovered
    error = seen.events[failed]
    assert isinstance(error, Failed) and error.pane is Pane.LOG
    assert error.error.title == "Log stream interrupted"
    assert "connection dropped" in error.error.message
    assert sleeps.retries == [1.0]
    lines = seen.lines("cfd-wing")
    assert len(lines) == before + 10
    assert lines == await demo.straight_log(watcher.jobs[CFD], len(lines))  # no gap, no repeat


async def test_log_retries_back_off_to_thirty_seconds_and_reset_after_success(
    watcher: JobWatcher, demo: FaultyDemo, clock: ManualClock, sleeps: Sleeps
) -> None:
    demo.refusals = 8
    seen = await started(watcher)
    assert sleeps.retries == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert [o for name, o in demo.offsets if name == "cfd-wing"] == [0] * 9
    failures = seen.of(Failed)
    assert len(failures) == 8 and {f.pane for f in failures} == {Pane.LOG}
    assert len(seen.of(Recovered)) == 1
    assert seen.index(is_log_of("cfd-wing")) < seen.index(lambda e: isinstance(e, Recovered))
    demo.drop = True
    clock.advance(5)
    await wait_until(lambda: len(seen.of(Recovered)) == 2, what="the second recovery")
    assert sleeps.retries[8:] == [1.0]  # a working stream starts the backoff over


async def test_selecting_a_job_moves_nodes_and_log_and_restarts_it_when_it_starts(
    watcher: JobWatcher, clock: ManualClock
) -> None:
    seen = await started(watcher)
    watcher.select(MD)
    await seen.until(lambda e: isinstance(e, NodesUpdated) and e.job.key == MD, "md-run nodes")
    md_nodes = seen.of(NodesUpdated)[-1]
    assert [n.state.value for n in md_nodes.nodes] == ["pending", "pending"]
    cfd_lines = len(seen.lines("cfd-wing"))
    clock.advance(40)  # md-run starts; cfd-wing's old stream is gone
    await watcher.refresh_now()
    assert watcher.selected is not None and watcher.selected.state is JobState.RUNNING
    await seen.until(is_log_of("md-run"), "md-run's log")
    assert len(seen.lines("cfd-wing")) == cfd_lines
    assert [e.job.name for e in seen.of(LogStarted)] == ["cfd-wing", "md-run", "md-run"]
    assert seen.of(NodesUpdated)[-1].nodes[0].state.value == "running"
    watcher.select(SWEEP)
    await seen.until(lambda e: isinstance(e, LogFinished), "sweep-17's whole log")
    assert "Job completed successfully" in seen.lines("sweep-17")[-1]
    assert watcher.follower is not None and watcher.follower.finished


async def test_trust_is_dropped_for_the_job_that_ended_only(
    watcher: JobWatcher, demo: FaultyDemo, pool: SshPool
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    for port, job in enumerate((CFD, MD, SWEEP), start=2201):
        add_job_host(pool.job_hosts_path, "10.0.0.9", port, key, job)
    seen = Recorder(watcher)
    watcher.start()
    await seen.until(lambda e: isinstance(e, SelectionChanged), "the first poll")
    assert trusted(pool) == {CFD, MD}  # sweep-17 ended while nobody watched
    demo.ended.add("md-run")
    await watcher.refresh_now()
    assert trusted(pool) == {CFD}
    assert [e.keys for e in seen.of(JobsEnded)] == [(MD,)]
    await watcher.refresh_now()
    assert trusted(pool) == {CFD}
    assert len(seen.of(JobsEnded)) == 1


async def test_time_warnings_on_every_poll_notice_once(
    watcher: JobWatcher, demo: FaultyDemo
) -> None:
    demo.warnings = {"cfd-wing": "6 min left", "sweep-17": "0 min left"}
    seen = Recorder(watcher)
    watcher.start()
    await seen.until(lambda e: isinstance(e, SelectionChanged), "the first poll")
    await watcher.refresh_now()
    assert [dict(e.warnings) for e in seen.of(TimeWarnings)] == [{CFD: "6 min left"}] * 2
    assert [(e.job.key, e.warning) for e in seen.of(TimeLimitNear)] == [(CFD, "6 min left")]
    assert watcher.time_warnings == {CFD: "6 min left"}
    demo.warnings = {}
    await watcher.refresh_now()
    assert dict(seen.of(TimeWarnings)[-1].warnings) == {} == watcher.time_warnings


async def test_a_failing_listing_is_reported_each_time_and_recovers_once(
    watcher: JobWatcher, demo: FaultyDemo
) -> None:
    seen = await started(watcher)
    demo.listing_fails = True
    await watcher.refresh_now()
    await watcher.refresh_now()
    failures = seen.of(Failed)
    assert [f.pane for f in failures] == [Pane.JOBS, Pane.JOBS]
    assert "did not answer" in failures[0].error.message
    listings = len(seen.of(JobsUpdated))
    demo.listing_fails = False
    await watcher.refresh_now()
    await watcher.refresh_now()
    assert [e.pane for e in seen.of(Recovered)] == [Pane.JOBS]
    assert len(seen.of(JobsUpdated)) == listings + 2
    recovered, listed = seen.of(Recovered)[0], seen.of(JobsUpdated)[-2]
    assert seen.index(lambda e: e is recovered) < seen.index(lambda e: e is listed)


async def test_a_failing_group_member_is_reported_once_until_it_works_again(
    tmp_path: Path, clock: ManualClock, sleeps: Sleeps
) -> None:
    lab, flaky = FaultyDemo(tmp_path / "lab", clock), FaultyDemo(tmp_path / "flaky", clock)
    group = ProviderGroup([("lab", lab), ("flaky", flaky)])
    watcher = JobWatcher(group, clock=clock, poll_interval=POLL, sleep=sleeps)
    seen = Recorder(watcher)
    try:
        flaky.listing_fails = True
        watcher.start()
        await seen.until(lambda e: isinstance(e, SelectionChanged), "the first poll")
        await watcher.refresh_now()
        assert [
            (p.name, "did not answer" in p.error.message) for p in seen.of(ProviderProblem)
        ] == [("flaky", True)]
        assert all(set(e.problems) == {"flaky"} for e in seen.of(JobsUpdated))
        assert all(job.provider == "lab" for job in seen.of(JobsUpdated)[-1].jobs)
        flaky.listing_fails = False
        await watcher.refresh_now()
        assert dict(seen.of(JobsUpdated)[-1].problems) == {}
        flaky.listing_fails = True
        await watcher.refresh_now()
        assert [p.name for p in seen.of(ProviderProblem)] == ["flaky", "flaky"]
    finally:
        await watcher.close()
        await group.close()


async def test_a_provider_that_cannot_start_is_reported_and_not_polled(
    watcher: JobWatcher, demo: FaultyDemo
) -> None:
    await demo.close()  # a closed demo refuses to start again
    seen = Recorder(watcher)
    watcher.start()
    await seen.until(lambda e: isinstance(e, ProviderStartFailed), "the start failure")
    [failure] = seen.of(ProviderStartFailed)
    assert "was closed" in failure.error.message
    await watcher.close()
    assert [type(e) for e in seen.events] == [ProviderStartFailed]


async def test_a_job_that_ends_closes_its_tunnels_and_saved_ones_come_back(
    demo: FaultyDemo, clock: ManualClock, sleeps: Sleeps, pool: SshPool, state_dir: Path
) -> None:
    def tunnels() -> TunnelManager:
        resolver = provider_resolver(demo)
        return TunnelManager(pool, state_path=state_dir / "tunnels.json", resolver=resolver)

    first = tunnels()
    watcher = JobWatcher(demo, clock=clock, tunnels=first, poll_interval=POLL, sleep=sleeps)
    seen = await started(watcher)
    [detected] = seen.of(ServiceDetected)
    master = seen.of(NodesUpdated)[0].nodes[0]
    tunnel = await first.open_service(
        detected.service,
        node=master.name,
        job_key=CFD,
        job_name="cfd-wing",
        target=demo.ssh_target(master),
    )
    await first.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING)
    await first.close()  # saved in tunnels.json
    await watcher.close()

    second = tunnels()
    watcher = JobWatcher(demo, clock=clock, tunnels=second, poll_interval=POLL, sleep=sleeps)
    seen = Recorder(watcher)
    watcher.start()
    await seen.until(lambda e: isinstance(e, SelectionChanged), "the first poll")
    [restored] = second.tunnels
    assert restored.spec.job_key == CFD  # restored on the first poll, for a running job
    await second.wait_for(restored, lambda t: t.state is TunnelState.LISTENING)
    local = restored.local_port
    demo.ended.add("cfd-wing")
    await watcher.refresh_now()
    assert restored.state_text == "closed: job cfd-wing completed"
    assert [e.keys for e in seen.of(JobsEnded)] == [(CFD,)]
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", local)
    await watcher.close()
    await second.close()
