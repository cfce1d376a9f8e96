"""The provider's finished jobs (sacct) and running jobs' figures (sstat) over canned output."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.test_slurm_provider import DATA, canned, provider
from tui.core.clock import ManualClock
from tui.core.models import JobState
from tui.core.providers.group import ProviderGroup
from tui.core.providers.slurm.live import duration, parse_sstat, size
from tui.core.providers.slurm.parse import tres_mem_mb
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.usage import short_usage
from tui.core.watch import JobsUpdated, JobWatcher, ProviderProblem, WatchEvent

NOW = datetime.fromtimestamp(1795554469, UTC) + timedelta(minutes=50)
DBD_DOWN = (
    "sacct: error: slurm_persist_conn_open_without_init: failed to open persistent connection "
    "to host:127.0.0.1:37705: Connection refused\n"
    "sacct: error: Problem talking to the database: Connection refused\n"
)


async def settled(slurm: SlurmProvider) -> None:
    """Let the background sacct/sstat refreshes started by `list_jobs` finish."""
    for task in (slurm.history._task, slurm.live._task):
        if task is not None:
            await asyncio.wait_for(task, 5)


async def test_finished_jobs_from_sacct_come_under_squeues_with_usage() -> None:
    pool = canned()
    pool.answers["sacct"] = (0, (DATA / "sacct-23.11.json").read_text(), "")
    slurm = provider(pool, ManualClock(NOW))
    await slurm.list_jobs()
    await settled(slurm)
    jobs = await slurm.list_jobs()
    ids = [job.id for job in jobs]
    assert "201" in ids and "101" in ids  # 201 only in sacct, 101 running in squeue
    assert ids.index("101") < ids.index("201")
    train = next(job for job in jobs if job.id == "201")
    assert train.state is JobState.COMPLETED and train.status_detail == "exit 0 · ran 1:00:00"
    assert short_usage(train.usage) == "CPU 90% · mem 51% *"
    assert any(cmd.startswith("sacct --json -S ") for cmd in pool.commands)
    assert slurm.log_names(train) == ("StdOut", "StdErr")
    details = await slurm.job_details(train)
    assert details["StdErr"] == "/home/alice/run/train-201.err"
    assert details["CPU efficiency"].startswith("90% (TotalCPU ")
    await slurm.close()


async def test_slurmdbd_down_is_a_listing_problem_not_a_failure() -> None:
    pool = canned()
    pool.answers["sacct"] = (1, "", DBD_DOWN)
    slurm = provider(pool, ManualClock(NOW))
    await slurm.list_jobs()
    await settled(slurm)
    jobs = await slurm.list_jobs()
    assert any(job.state is JobState.RUNNING for job in jobs)  # squeue's jobs still show
    problem = slurm.listing_problems()["finished jobs"]
    assert problem.title == "Finished jobs unavailable"
    assert "cannot reach the accounting daemon (slurmdbd)" in problem.message
    assert "Connection refused" in problem.message
    assert (await slurm.job_details(jobs[0]))["Accounting"] == problem.message
    await slurm.close()


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ((127, "", "bash: sacct: command not found"), "sacct is not installed on the login host"),
        (
            (1, "", "sacct: error: Slurm accounting storage is disabled"),
            "keeps no job accounting (AccountingStorageType=accounting_storage/none)",
        ),
    ],
)
async def test_why_there_is_no_history(reply: tuple[int, str, str], words: str) -> None:
    pool = canned()
    pool.answers["sacct"] = reply
    slurm = provider(pool, ManualClock(NOW))
    await slurm.list_jobs()
    await settled(slurm)
    assert words in slurm.listing_problems()["finished jobs"].message
    await slurm.close()


async def test_history_days_0_never_runs_sacct() -> None:
    pool = canned()
    slurm = provider(pool, ManualClock(NOW), history_days=0)
    await slurm.list_jobs()
    await settled(slurm)
    assert not any(cmd.startswith(("sacct", "sstat")) for cmd in pool.commands)
    await slurm.close()


async def test_running_jobs_figures_so_far_from_sstat() -> None:
    pool = canned("squeue-22.05.json", "sinfo-22.05.json")
    pool.answers["id"] = (0, "slurmtest\n", "")
    pool.answers["sstat"] = (
        0,
        "1.batch|cpu=00:10:00,mem=500M|cpu=00:10:00,mem=500M|1\n"
        "1.0|cpu=00:20:00,mem=800M|cpu=00:05:00,mem=400M|2\n",
        "",
    )
    an_hour_in = datetime.fromtimestamp(1795560523, UTC) + timedelta(hours=1)
    slurm = provider(pool, ManualClock(an_hour_in))
    await slurm.list_jobs()
    await settled(slurm)
    jobs = {job.id: job for job in await slurm.list_jobs()}
    assert any(cmd.startswith("sstat -n -P -a -j 1,") for cmd in pool.commands)
    sampled = slurm.live.sampled["1"]
    assert (sampled.cpu, sampled.max_rss, sampled.tasks) == (1800, 500 * 1024**2, 2)
    assert short_usage(jobs["1"].usage) == "CPU 25% · mem 25% *"  # 30 min of 1 h x 2 CPUs
    details = await slurm.job_details(jobs["1"])
    assert details["CPU efficiency"] == "25% (TotalCPU 30:00 of 1:00:00 elapsed x 2 CPUs)"
    assert details["Caveat 1"] == "so far: from sstat of the running steps, refreshed every 30 s"
    await slurm.close()


def test_sstat_and_tres_text() -> None:
    found = parse_sstat("7.batch|cpu=00:00:03,mem=4852K|cpu=00:00:03,mem=4852K|1\njunk\n")
    assert found["7"].cpu == 3 and found["7"].max_rss == 4852 * 1024
    assert duration("1-00:00:01") == 86401 and duration("01:30.5") == 90.5
    assert duration("x") is None and size("2G") == 2 * 1024**3 and size("?") is None
    assert tres_mem_mb("cpu=2,mem=2000M,node=2") == 2000
    assert tres_mem_mb("cpu=1,mem=4G") == 4096 and tres_mem_mb("cpu=1") is None


async def test_a_group_and_the_watcher_pass_the_missing_history_on() -> None:
    good, bad = canned(), canned()
    bad.answers["sacct"] = (1, "", DBD_DOWN)
    members = [("a", provider(good, ManualClock(NOW))), ("b", provider(bad, ManualClock(NOW)))]
    group = ProviderGroup(members)
    await group.start()
    seen: list[WatchEvent] = []
    watcher = JobWatcher(group, clock=ManualClock(NOW))
    watcher.subscribe(seen.append)
    await watcher.refresh_now()
    for _, member in members:
        await settled(member)
    await watcher.refresh_now()
    updates = [event for event in seen if isinstance(event, JobsUpdated)]
    assert list(updates[-1].problems) == ["b: finished jobs"]  # a row under b's jobs says why
    problems = [event for event in seen if isinstance(event, ProviderProblem)]
    assert [p.name for p in problems] == ["b: finished jobs"]  # notified once
    job = next(j for j in updates[-1].jobs if j.provider == "a" and j.id == "101")
    assert group.log_names(job) == ("StdOut",)
    watcher.switch_log("StdOut")
    assert watcher.log_name == "StdOut"
    await watcher.close()
    await group.close()
