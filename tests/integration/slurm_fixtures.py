"""Fixtures for the Slurm tests: one real cluster per test session, providers on top of it.

Import the fixtures into a test module:

    from tests.integration.slurm_fixtures import slurm_cluster_fixture  # noqa: F401

(the fixtures are named `slurm_cluster` and `slurm_provider`; the `_fixture` function names keep
linters from seeing the test arguments as redefinitions).

The cluster (munged, slurmctld, 4 slurmd, a login sshd) is started once per session, whichever
module asks first, and stopped by pid when the session ends (`config.add_cleanup`). In CI a
missing Slurm fails loudly; elsewhere the tests are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci_strict import IN_CI
from tests.integration.slurm_cluster import SlurmCluster, missing_binaries
from tests.integration.sshd import SSHD
from tui.core.models import Job, LogBatch
from tui.core.providers.slurm.provider import SlurmProvider

WAIT = 30.0
"""Upper bound on every wait for a job or a log."""

_shared: dict[str, Any] = {}


def _require_slurm() -> None:
    missing = missing_binaries()
    if not Path(SSHD).exists():
        missing.append(SSHD)
    why = ""
    if missing:
        why = f"{', '.join(missing)} not installed (tests/run.sh installs slurm-wlm and munge)"
    elif os.geteuid() != 0:
        why = "the Slurm test cluster must be started as root"
    if why:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


def shared_cluster(config: pytest.Config) -> SlurmCluster:
    """The session's cluster, started on first use and stopped when the session ends."""
    _require_slurm()
    if "error" in _shared:
        pytest.fail(f"the Slurm test cluster failed to start: {_shared['error']}")
    if "cluster" not in _shared:
        cluster = SlurmCluster(Path(tempfile.mkdtemp(prefix="cd-slurm-")))
        try:
            cluster.start()
        except Exception as exc:
            _shared["error"] = exc
            raise
        _shared["cluster"] = cluster
        config.add_cleanup(cluster.stop)
    cluster = _shared["cluster"]
    assert isinstance(cluster, SlurmCluster)
    return cluster


@pytest.fixture(scope="session", name="slurm_cluster")
def slurm_cluster_fixture(request: pytest.FixtureRequest) -> SlurmCluster:
    """The running test cluster (session-wide)."""
    return shared_cluster(request.config)


def make_provider(cluster: SlurmCluster, state: Path, **options: Any) -> SlurmProvider:
    """A provider logged in to the cluster's sshd as the test user (options override)."""
    assert cluster.sshd is not None
    known_hosts = cluster.sshd.write_known_hosts(state / "known_hosts")
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": cluster.sshd.port,
        "user": cluster.user,
        "key": str(cluster.sshd.client_key),
        "node_port": cluster.sshd.port,
        "poll_interval": 0.3,
    }
    settings.update(options)
    return SlurmProvider("hpc", known_hosts_path=known_hosts, **settings)


@pytest.fixture(name="slurm_provider")
async def slurm_provider_fixture(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> AsyncIterator[SlurmProvider]:
    """A started provider for the test cluster; closed after the test."""
    provider = make_provider(slurm_cluster, tmp_path / "state")
    await provider.start()
    yield provider
    await provider.close()


async def job_in(provider: SlurmProvider, job_id: str) -> Job:
    """The job as `list_jobs` shows it (fails if it is not listed)."""
    jobs = {job.id: job for job in await provider.list_jobs()}
    assert job_id in jobs, f"job {job_id} not listed; listed: {sorted(jobs)}"
    return jobs[job_id]


async def wait_job(provider: SlurmProvider, job_id: str, *states: str) -> Job:
    """Poll `list_jobs` until the job is in one of `states` (JobState values)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        job = await job_in(provider, job_id)
        if job.state.value in states:
            return job
        if loop.time() > deadline:
            raise AssertionError(f"job {job_id} stayed {job.state} ({job.status_detail})")
        await asyncio.sleep(0.1)


async def collect(stream: AsyncIterator[LogBatch], *, limit: float = WAIT) -> list[LogBatch]:
    """Every batch of a log stream until it finishes."""
    batches: list[LogBatch] = []
    async with asyncio.timeout(limit):
        async for batch in stream:
            batches.append(batch)
            if batch.finished:
                break
    return batches


def lines_of(batches: list[LogBatch]) -> list[str]:
    """All lines of `batches`, in order."""
    return [line for batch in batches for line in batch.lines]
