"""Finished jobs, arrays, both logs and efficiency against a real Slurm with accounting.

One cluster for the module: MariaDB + slurmdbd + slurmctld + 4 slurmd + the login sshd
(tests/integration/slurm_accounting.py), so `sacct --json` answers for real.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.integration.slurm_accounting import (  # noqa: F401 - fixture
    AccountingCluster,
    accounting_cluster_fixture,
)
from tests.integration.slurm_fixtures import WAIT, collect, lines_of, make_provider, wait_job
from tests.snapshots.conftest import Snap
from tui.app.factory import make_app
from tui.app.screens.dialogs.confirm import DetailsDialog
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.errors import ProviderError
from tui.core.models import Job, JobState
from tui.core.providers.slurm.provider import SlurmProvider
from widgets.log.view import LogView
from widgets.tables.job import JobTable

pytestmark = pytest.mark.sshd

BURN = "timeout 2 sh -c 'while :; do :; done'; true"


@pytest.fixture
async def provider(
    accounting_cluster: AccountingCluster, tmp_path: Path
) -> AsyncIterator[SlurmProvider]:
    made = make_provider(accounting_cluster, tmp_path / "state", history_days=1)
    made.history.interval = 0.3  # the app's 30 s would make the tests wait
    await made.start()
    yield made
    await made.close()


async def accounted(provider: SlurmProvider, job_id: str, *states: str) -> Job:
    """Poll `list_jobs` until sacct has `job_id` in one of `states`, its steps' figures in."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        jobs = {job.id: job for job in await provider.list_jobs()}
        entry = provider.history.jobs.get(job_id)
        job = jobs.get(job_id)
        usage = job.usage if job is not None else None
        usage_in = entry is not None and entry.usage.steps > 0 and not entry.usage.open_steps
        if job is not None and job.state.value in states and usage and usage_in:
            return job
        if loop.time() > deadline:
            raise AssertionError(
                f"job {job_id} not accounted as {states}: {job}; "
                f"problem: {provider.history.problem}"
            )
        await asyncio.sleep(0.2)


def sacct_field(cluster: AccountingCluster, job_id: str, field: str) -> str:
    """sacct's own text for the job's line (`-X` would show the allocation's, without steps)."""
    out = cluster.as_user("sacct", "-n", "-P", "-j", job_id, f"--format=JobID,{field}").stdout
    return next(line.split("|")[1] for line in out.splitlines() if line.split("|")[0] == job_id)


def seconds(text: str) -> float:
    """sacct's `[DD-[HH:]]MM:SS[.mmm]` -> seconds."""
    days, _, rest = text.rpartition("-")
    total = 0.0
    for part in rest.split(":"):
        total = total * 60 + float(part)
    return total + (int(days) * 86400 if days else 0)


async def test_finished_jobs_with_state_exit_elapsed_and_efficiency(
    accounting_cluster: AccountingCluster, provider: SlurmProvider
) -> None:
    cluster = accounting_cluster
    burn = cluster.sbatch("--job-name=burn", "--wrap", BURN)
    bad = cluster.sbatch("--job-name=bad", "--wrap", "echo about to fail; exit 3")
    running = cluster.sbatch("--job-name=runner", "--time=UNLIMITED", "--wrap", "sleep 60")
    pending = cluster.sbatch("--job-name=later", "--begin=now+3600", "--wrap", "true")
    await wait_job(provider, running, "running")
    cancelled = cluster.sbatch("--job-name=doomed", "--wrap", "sleep 60")
    await wait_job(provider, cancelled, "running")
    cluster.scancel_as_root(cancelled)

    done = await accounted(provider, burn, "completed")
    usage = done.usage
    assert usage is not None and usage.cpu is not None
    total_cpu = seconds(sacct_field(cluster, burn, "TotalCPU"))
    elapsed = seconds(sacct_field(cluster, burn, "Elapsed"))
    entry = provider.history.jobs[burn]
    assert entry.usage.total_cpu == pytest.approx(total_cpu, abs=0.0015)  # sacct prints ms
    assert usage.cpu == pytest.approx(total_cpu / elapsed, abs=0.001)
    assert 0.3 < total_cpu <= 2.2  # it burnt one CPU for (at most) its 2 s
    details = await provider.job_details(done)
    assert details["CPU efficiency"].endswith(
        f"(TotalCPU {total_cpu:.2f} s of 0:0{elapsed:.0f} elapsed x 1 CPUs)"
    )
    assert details["Exit code"] == "0" and "Elapsed" in details
    assert any("sampled" in value for value in details.values())  # the caveat beside it

    failed = await accounted(provider, bad, "failed")
    assert failed.status_detail.startswith("failed · exit 3 · ran ")  # 22.05's JSON says 0
    stopped = await accounted(provider, cancelled, "stopped")
    assert stopped.status_detail.startswith("cancelled")
    jobs = {job.id: job for job in await provider.list_jobs()}
    assert jobs[pending].state is JobState.QUEUED and jobs[running].state is JobState.RUNNING
    order = [job.id for job in await provider.list_jobs()]
    assert order.index(running) < order.index(burn)  # finished under the running ones
    assert (await provider.job_details(jobs[running]))["Time limit"] == "UNLIMITED"
    assert provider.listing_problems() == {}
    cluster.scancel_as_root(running, pending)


async def test_a_running_job_shows_its_efficiency_so_far(
    accounting_cluster: AccountingCluster, provider: SlurmProvider
) -> None:
    provider.live.interval = 0.3
    burner = accounting_cluster.sbatch(
        "--job-name=burner", "--wrap", "timeout 30 sh -c 'while :; do :; done'"
    )
    await wait_job(provider, burner, "running")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        job = next(j for j in await provider.list_jobs() if j.id == burner)
        if job.usage is not None and job.usage.cpu:
            break
        assert loop.time() < deadline, f"no figures so far: {provider.live.problem}"
        await asyncio.sleep(0.3)
    assert job.state is JobState.RUNNING and 0 < job.usage.cpu <= 1.05  # one CPU, busy
    details = await provider.job_details(job)
    assert details["CPU efficiency"].endswith("x 1 CPUs)")
    assert details["Caveat 1"].startswith("so far: from sstat")
    accounting_cluster.scancel_as_root(burner)


async def test_arrays_both_logs_and_a_missing_file(
    accounting_cluster: AccountingCluster, provider: SlurmProvider
) -> None:
    cluster = accounting_cluster
    array = cluster.sbatch(
        "--job-name=sweep",
        "--array=1-3",
        "--output=sweep-%A_%a.out",
        "--error=sweep-%A_%a.err",
        "--wrap",
        "echo out of task $SLURM_ARRAY_TASK_ID; echo err of task $SLURM_ARRAY_TASK_ID >&2",
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        jobs = await provider.list_jobs()
        tasks = [j for j in jobs if j.array_id == array and j.state is JobState.COMPLETED]
        if len(tasks) == 3 and all(
            array_task in provider.history.jobs for array_task in (t.id for t in tasks)
        ):
            break
        assert loop.time() < deadline, f"array tasks: {tasks}"
        await asyncio.sleep(0.2)
    second = next(t for t in tasks if t.array_task == "2")
    assert provider.log_names(second) == ("StdOut", "StdErr")
    out = await collect(provider.stream_log(second))
    assert lines_of(out) == ["out of task 2"] and out[-1].finished  # %A_%a resolved
    err = await collect(provider.stream_named_log(second, "StdErr"))
    assert lines_of(err) == ["err of task 2"]
    third = next(t for t in tasks if t.array_task == "3")
    hidden = cluster.workdir / f"sweep-{array}_3.err"
    hidden.chmod(0)  # the StdErr of task 3: the login user may not read it
    with pytest.raises(ProviderError, match="not readable by the login user") as caught:
        await collect(provider.stream_named_log(third, "StdErr"))
    assert str(hidden) in caught.value.message

    lone = cluster.sbatch("--job-name=lone", "--wrap", "echo gone soon")
    job = await accounted(provider, lone, "completed")
    assert provider.log_names(job) == ("StdOut",)
    os.unlink(cluster.workdir / f"slurm-{lone}.out")
    batches = await collect(provider.stream_log(job))
    assert batches[-1].finished and lines_of(batches) == []
    assert f"slurm-{lone}.out does not exist: it was deleted or moved" in batches[-1].notes[-1]


async def test_slurmdbd_down_keeps_running_jobs_and_says_why(
    accounting_cluster: AccountingCluster, provider: SlurmProvider
) -> None:
    cluster = accounting_cluster
    runner = cluster.sbatch("--job-name=through-outage", "--wrap", "sleep 30")
    await wait_job(provider, runner, "running")
    cluster.stop_dbd()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not provider.listing_problems():
            assert loop.time() < deadline, "no word about the missing history"
            jobs = {job.id: job for job in await provider.list_jobs()}
            await asyncio.sleep(0.2)
        assert jobs[runner].state is JobState.RUNNING  # squeue still answers
        problem = provider.listing_problems()["finished jobs"]
        assert problem.title == "Finished jobs unavailable"
        assert "slurmdbd" in problem.message and "Connection refused" in problem.message
    finally:
        cluster.start_dbd()
    deadline = asyncio.get_running_loop().time() + WAIT
    while provider.listing_problems():
        assert asyncio.get_running_loop().time() < deadline, "history did not come back"
        await provider.list_jobs()
        await asyncio.sleep(0.2)
    cluster.scancel_as_root(runner)


async def test_sacct_absent(accounting_cluster: AccountingCluster, tmp_path: Path) -> None:
    bin_dir = accounting_cluster.base / "bin-without-sacct"  # the test user can reach it
    bin_dir.mkdir(mode=0o755)
    for program in ("squeue", "sinfo", "scancel"):  # a login host without sacct
        (bin_dir / program).symlink_to(f"/usr/bin/{program}")
    made = make_provider(accounting_cluster, tmp_path / "state", bin_dir=str(bin_dir))
    made.history.interval = 0.1
    await made.start()
    try:
        runner = accounting_cluster.sbatch("--job-name=no-sacct", "--wrap", "sleep 20")
        await wait_job(made, runner, "running")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not made.listing_problems():
            assert loop.time() < deadline
            await made.list_jobs()
            await asyncio.sleep(0.1)
        message = made.listing_problems()["finished jobs"].message
        assert "sacct is not installed on the login host or not on its PATH" in message
        accounting_cluster.scancel_as_root(runner)
    finally:
        await made.close()


async def test_dashboard_groups_an_array_and_switches_its_logs(
    accounting_cluster: AccountingCluster, tmp_path: Path, save_screenshot: Snap
) -> None:
    cluster = accounting_cluster
    assert cluster.sshd is not None
    array = cluster.sbatch(
        "--job-name=app-sweep",
        "--array=1-3",
        "--output=app-%A_%a.out",
        "--error=app-%A_%a.err",
        "--wrap",  # 2 s at least: a job shorter than a second has no efficiency (Elapsed 0)
        "echo out of task $SLURM_ARRAY_TASK_ID; echo err of task $SLURM_ARRAY_TASK_ID >&2; sleep 2",
    )
    for task in range(1, 4):
        cluster.wait_accounted(f"{array}_{task}", "COMPLETED")
    state = tmp_path / "state"
    state.mkdir()
    options = {
        "host": "127.0.0.1",
        "port": cluster.sshd.port,
        "user": cluster.user,
        "key": str(cluster.sshd.client_key),
        "node_port": cluster.sshd.port,
        "poll_interval": 0.3,
        "history_days": 1,
    }
    settings = Settings(
        state_dir=state,
        providers=(ProviderConfig("hpc", "slurm", options),),
        poll_interval=0.5,
        config_path=state / "config.toml",
    )
    cluster.sshd.write_known_hosts(settings.known_hosts_path)
    app = make_app(settings, clock=SystemClock())
    async with app.run_test(size=(140, 36)) as pilot:
        screen = app.main_screen
        jobs = screen.query_one(JobTable)
        group = f"hpc:array:{array}"
        await wait_until(lambda: group in jobs.row_keys, pause=pilot.pause, within=30, what="group")
        jobs.focus()
        jobs.select_key(group)
        await pilot.pause()
        before = len(jobs.row_keys)
        await pilot.press("space")
        await wait_until(
            lambda: len(jobs.row_keys) == before + 3, pause=pilot.pause, what="tasks shown"
        )
        first = jobs.row_keys[jobs.row_keys.index(group) + 1]
        await wait_until(
            lambda: jobs.show_usage and "CPU " in str(jobs.get_cell(first, "usage")),  # sacct
            pause=pilot.pause,
            within=45,
            what="the task's efficiency",
        )
        jobs.select_key(first)
        log = screen.query_one(LogView)
        pane = screen.query_one("#log-pane")
        await wait_until(
            lambda: any(line.startswith("out of task") for line in log.tail(5)),
            pause=pilot.pause,
            within=20,
            what="the task's StdOut",
        )
        assert "StdOut" in str(pane.border_title)
        await pilot.press("e")
        await wait_until(
            lambda: any(line.startswith("err of task") for line in log.tail(5)),
            pause=pilot.pause,
            within=20,
            what="the task's StdErr",
        )
        assert "StdErr" in str(pane.border_title)
        save_screenshot(app, "slurm-array-stderr")
        await pilot.press("i")
        await wait_until(
            lambda: isinstance(app.screen, DetailsDialog), pause=pilot.pause, what="details"
        )
        facts = app.screen.facts  # type: ignore[attr-defined]
        assert "CPU efficiency" in facts and facts["StdErr"].endswith(".err")
        await pilot.press("escape")
        await pilot.press("space")  # on a task: the array closes again
        await wait_until(lambda: len(jobs.row_keys) == before, pause=pilot.pause, what="closed")
