"""Notifications from a real Slurm: a job's end is noticed once, not once per poll."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import (  # noqa: F401 - fixtures
    WAIT,
    slurm_cluster_fixture,
    slurm_provider_fixture,
    wait_job,
)
from tui.core.clock import SystemClock
from tui.core.config.watching import NotifySettings
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.watch import JobsUpdated, JobWatcher, WatchEvent
from tui.core.watch.notices import JobNotifier, Notice

pytestmark = pytest.mark.sshd


async def test_a_completing_job_is_noticed_once(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    notices: list[Notice] = []
    notifier = JobNotifier(NotifySettings(), clock=SystemClock(), deliver=notices.append)
    watcher = JobWatcher(slurm_provider, clock=SystemClock(), poll_interval=0.3)
    polls = 0
    polled = asyncio.Event()

    def count(event: WatchEvent) -> None:
        nonlocal polls
        if isinstance(event, JobsUpdated):
            polls += 1
            polled.set()

    watcher.subscribe(notifier.on_event)
    watcher.subscribe(count)
    job_id = slurm_cluster.sbatch("--job-name=notify-me", "--wrap", "sleep 2; echo done")
    watcher.start()
    try:
        async with asyncio.timeout(WAIT + 30):
            while not any(n.kind == "completed" and "notify-me" in n.title for n in notices):
                polled.clear()
                await polled.wait()
            ended_at = polls
            while polls < ended_at + 5:  # five more polls that still list the completed job
                polled.clear()
                await polled.wait()
    finally:
        await watcher.close()
    mine = [(n.kind, n.title, n.message) for n in notices if n.job == "notify-me"]
    completed = [n for n in mine if n[:2] == ("completed", "notify-me completed")]
    assert len(completed) == 1 and completed[0][2].startswith("exit 0"), mine
    assert [kind for kind, _, _ in mine].count("started") <= 1  # may start before the 1st poll
    assert watcher.jobs[f"hpc:{job_id}"].state.value == "completed"


async def test_one_squeue_lists_every_job(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [slurm_cluster.sbatch(f"--job-name=many-{i}", "--wrap", "sleep 20") for i in range(3)]
    # (jobs of other tests may be listed too: one command lists them all)
    for job_id in ids:
        await wait_job(slurm_provider, job_id, "running", "queued")
    commands: list[str] = []
    run = slurm_provider._run

    async def counted(command: str, what: str | None) -> tuple[str, str]:
        commands.append(command)
        return await run(command, what)

    monkeypatch.setattr(slurm_provider, "_run", counted)
    jobs = await slurm_provider.list_jobs()
    assert {j.id for j in jobs} >= set(ids)
    listings = [c for c in commands if "squeue" in c and "--version" not in c]
    assert len(listings) == 1  # the text form, not --json (several times slower on big clusters)
    assert "--json" not in listings[0]
    assert listings[0].startswith("env SLURM_TIME_FORMAT=%s squeue --me --noheader --states=all")
    slurm_cluster.scancel_as_root(*ids)
