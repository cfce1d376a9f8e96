"""Faults against the real Slurm cluster: clear errors, no crash, polling goes on."""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import (  # noqa: F401 - fixtures
    WAIT,
    collect,
    job_in,
    lines_of,
    make_provider,
    slurm_cluster_fixture,
    slurm_provider_fixture,
    wait_job,
)
from tests.integration.sshd import free_port
from tui.core.errors import ProviderError, ProviderUnavailable
from tui.core.models import Job, JobState, LogBatch
from tui.core.providers.slurm.parse import SlurmFormatError
from tui.core.providers.slurm.provider import SlurmProvider

pytestmark = pytest.mark.sshd

DATA = Path(__file__).parent.parent / "data" / "slurm"


def bin_dir(cluster: SlurmCluster, scripts: dict[str, str]) -> Path:
    """A directory of scripts the test user can run (for `bin_dir`); real sinfo/scancel."""
    folder = cluster.base / f"bin-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o755)
    for name in ("sinfo", "scancel"):
        os.symlink(f"/usr/bin/{name}", folder / name)
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


async def test_unreachable_login_host(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    provider = make_provider(slurm_cluster, tmp_path, port=free_port())
    try:
        for _ in range(2):  # the next poll fails the same clear way
            with pytest.raises(ProviderUnavailable, match="cannot reach the Slurm login host"):
                await provider.list_jobs()
    finally:
        await provider.close()


async def test_squeue_missing_on_the_login_host(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    empty = bin_dir(slurm_cluster, {})
    provider = make_provider(slurm_cluster, tmp_path, bin_dir=str(empty))
    try:
        with pytest.raises(ProviderUnavailable, match="squeue` was not found") as info:
            await provider.list_jobs()
        assert info.value.title == "Slurm command not found" and "PATH" in info.value.message
    finally:
        await provider.close()


async def test_output_from_an_unknown_slurm_version(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    reply = (DATA / "squeue-unknown-version.json").read_text()
    script = f"""case "$1" in --version) echo 'slurm 99.1.0';; *) cat <<'EOF'\n{reply}\nEOF\nesac"""
    fake = bin_dir(slurm_cluster, {"squeue": script})
    provider = make_provider(slurm_cluster, tmp_path, bin_dir=str(fake))
    try:
        with pytest.raises(SlurmFormatError, match=r"from Slurm 99\.1\.0 printed what"):
            await provider.list_jobs()
    finally:
        await provider.close()


async def test_unreadable_stdout_is_a_clear_error(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    script = 'echo secret; chmod 000 "slurm-$SLURM_JOB_ID.out"; sleep 30'
    job_id = slurm_cluster.sbatch("--job-name=locked", "--wrap", script)
    job = await wait_job(slurm_provider, job_id, "running")
    out = slurm_cluster.workdir / f"slurm-{job_id}.out"
    await wait_until(
        lambda: out.exists() and stat.S_IMODE(out.stat().st_mode) == 0,
        within=WAIT,
        pause=lambda: asyncio.sleep(0.05),
        what="the job to chmod its output",
    )
    with pytest.raises(ProviderError, match="not readable by the login user") as info:
        await collect(slurm_provider.stream_log(job))
    assert info.value.title == "Job output unreadable" and str(out) in info.value.message
    await slurm_provider.stop_job(job)


async def test_a_job_that_disappears(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    hidden = slurm_cluster.base / f"hidden-{uuid.uuid4().hex[:8]}"
    hidden.write_text("")
    hidden.chmod(0o644)
    hide = (  # drops the hidden ids' records from squeue's text form
        "import re, sys; gone = open('{hidden}').read().split(); "
        "parts = re.split('(\\x1e[0-9a-f]+\\x1e\\n)', sys.stdin.read()); "
        "sys.stdout.write(''.join(r + end for r, end in zip(parts[::2], parts[1::2] + [''])"
        " if r.split('\\x1f')[0] not in gone))"
    ).replace("{hidden}", str(hidden))
    squeue = f'/usr/bin/squeue "$@" | python3 -c "{hide}"'
    folder = bin_dir(slurm_cluster, {"squeue": squeue})
    provider = make_provider(slurm_cluster, tmp_path, bin_dir=str(folder))
    job_id = slurm_cluster.sbatch("--job-name=vanish", "--wrap", "echo one; sleep 30")
    try:
        job = await wait_job(provider, job_id, "running")
        batches: list[LogBatch] = []
        async with asyncio.timeout(WAIT):
            async for batch in provider.stream_log(job):
                batches.append(batch)
                if batch.lines == ("one",):
                    hidden.write_text(f"{job_id}\n")  # Slurm forgets the job
                if batch.finished:
                    break
        assert lines_of(batches) == ["one"]
        assert f"job {job_id} is no longer known to Slurm" in batches[-1].notes
        assert job_id not in {j.id for j in await provider.list_jobs()}
        with pytest.raises(ProviderError, match="no longer known to Slurm"):
            await provider.list_nodes(job)
        ghost = Job(id="987654", name="ghost", state=JobState.RUNNING, provider="hpc")
        with pytest.raises(ProviderError, match="job 987654 is no longer known"):
            await collect(provider.stream_log(ghost))
    finally:
        await provider.close()
        slurm_cluster.as_user("scancel", job_id, check=False)


async def test_scancel_errors_are_reported(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    root_job = slurm_cluster.sbatch_as_root("--job-name=roots", "--wrap", "sleep 30")
    provider = make_provider(slurm_cluster, tmp_path, all_users=True)
    try:
        job = await wait_job(provider, root_job, "running", "queued")
        assert job.owner == "root"
        with pytest.raises(ProviderError, match="Access/permission denied") as info:
            await provider.stop_job(job)
        assert info.value.title == "Cancel failed" and f"job {root_job}" in info.value.message
    finally:
        await provider.close()
        slurm_cluster.scancel_as_root(root_job)


@pytest.mark.serial
async def test_controller_down_shows_an_error_and_recovers(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    script = "for i in $(seq 1 30); do echo tick $i; sleep 0.1; done"
    job_id = slurm_cluster.sbatch("--job-name=outage", "--wrap", script)
    job = await wait_job(slurm_provider, job_id, "running")
    stream = slurm_provider.stream_log(job)
    first = await anext(stream)
    slurm_cluster.stop_controller()
    try:
        with pytest.raises(ProviderUnavailable, match="slurmctld") as info:
            await slurm_provider.list_jobs()
        assert info.value.title == "Slurm controller unavailable"
        assert "Unable to contact slurm controller" in info.value.message
        with pytest.raises(ProviderUnavailable):
            await slurm_provider.list_nodes(job)  # sinfo needs the controller too
        more = [first]
        async with asyncio.timeout(WAIT):  # the log keeps following while slurmctld is away
            while len(lines_of(more)) < 30:
                more.append(await anext(stream))
    finally:
        slurm_cluster.start_controller()
    rest = await collect(stream)
    assert lines_of(more + rest) == [f"tick {i}" for i in range(1, 31)]
    assert rest[-1].finished
    assert (await job_in(slurm_provider, job_id)).state is JobState.COMPLETED
