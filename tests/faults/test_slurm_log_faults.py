"""(d) Following a Slurm job's log (SlurmProvider.stream_log, real Slurm) through SSH faults.

The job writes numbered lines. A fault that leaves sshd reachable (its session killed, the TCP
connection reset) is absorbed by the stream itself: it reconnects and goes on. A fault that
keeps sshd away (sshd killed, a blackhole) ends the stream with a named error within a bound;
resumed at the last offset it delivered (as the dashboard does) once sshd is back, the stream
continues. Either way every line arrives exactly once, in order.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from tests.faults.faults import KINDS, LOG_LINES, NOTICE, RECOVER, Fault, Timeline
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import (  # noqa: F401 - fixtures
    make_provider,
    slurm_cluster_fixture,
    wait_job,
)
from tests.integration.sshd import SshdServer
from tui.core.errors import (
    ClusterdeckError,
    ProviderUnavailable,
    SshDisconnected,
    SshUnreachable,
)
from tui.core.models import Job
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd


@pytest.fixture
def sshd(slurm_cluster: SlurmCluster) -> SshdServer:
    """The faults hit the cluster's login sshd."""
    assert slurm_cluster.sshd is not None
    return slurm_cluster.sshd


class Follower:
    """Reads `stream_log` like the dashboard: on an error, resume at the last offset."""

    def __init__(self, provider: SlurmProvider, job: Job) -> None:
        self.provider = provider
        self.job = job
        self.lines: list[str] = []
        self.offset = 0
        self.errors: list[ClusterdeckError] = []
        self.finished = False
        self.may_resume = asyncio.Event()
        self.may_resume.set()

    async def run(self) -> None:
        while not self.finished:
            await self.may_resume.wait()
            try:
                async for batch in self.provider.stream_log(self.job, offset=self.offset):
                    assert batch.offset >= self.offset
                    self.lines.extend(batch.lines)
                    self.offset = batch.offset
                    if batch.finished:
                        self.finished = True
                        break
            except ClusterdeckError as exc:
                self.errors.append(exc)
                self.may_resume.clear()  # the test resumes it once sshd can be reached


@pytest.mark.parametrize("fault", KINDS, indirect=True)
async def test_log_follow(
    slurm_cluster: SlurmCluster,
    fault: Fault,
    pool: SshPool,
    timeline: Timeline,
    tmp_path: Path,
) -> None:
    provider = make_provider(slurm_cluster, tmp_path / "state", port=fault.port, pool=pool)
    stop = slurm_cluster.workdir / f"stop-{uuid.uuid4().hex[:8]}"
    script = (  # at least LOG_LINES lines, then on until told to stop
        f'i=0; while [ $i -lt {LOG_LINES} ] || [ ! -e {stop} ]; do i=$((i+1)); echo "line $i"; '
        f'sleep 0.01; done; echo "end after $i"'
    )
    job_id = slurm_cluster.sbatch(f"--job-name=faults-{fault.kind}", "--wrap", script)
    follower = Follower(provider, await wait_job(provider, job_id, "running"))
    task = asyncio.create_task(follower.run())
    try:
        await timeline.reach("following", lambda: len(follower.lines) >= 20, within=RECOVER)
        logins = fault.sshd.accepted_logins()
        timeline.mark()
        await fault.inject()
        if fault.server_down:
            await timeline.reach(
                "stream ended with an error",
                lambda: follower.errors,
                within=NOTICE,
                detail=lambda: f"{follower.errors[0].title}: {follower.errors[0]}",
            )
            error = follower.errors[0]
            # named as a lost or unreachable login host, never as a refusal
            assert isinstance(error, ProviderUnavailable | SshUnreachable | SshDisconnected), repr(
                error
            )
            assert f"127.0.0.1:{fault.port}" in error.message
            await fault.heal()
            timeline.mark()
            follower.may_resume.set()
        await timeline.reach(
            "logged in again", lambda: fault.sshd.accepted_logins() > logins, within=RECOVER
        )
        count = len(follower.lines)  # lines in flight at the fault may arrive before this
        await timeline.reach("following again", lambda: len(follower.lines) > count, within=RECOVER)
        stop.touch()
        async with asyncio.timeout(RECOVER + LOG_LINES * 0.1):
            await task
        timeline.note("log complete", RECOVER + LOG_LINES * 0.1)
    finally:
        stop.touch()
        task.cancel()
        await provider.close()
        slurm_cluster.as_user("scancel", job_id, check=False)
    written = len(follower.lines) - 1
    assert written >= LOG_LINES
    assert follower.lines == [*(f"line {i}" for i in range(1, written + 1)), f"end after {written}"]
    assert len(follower.errors) == (1 if fault.server_down else 0), follower.errors
