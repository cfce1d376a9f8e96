"""The Slurm provider against a real Slurm (slurmctld + 4 slurmd) behind a real login sshd."""

from __future__ import annotations

import asyncio
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
from tests.integration.sshd import SshdServer
from tui.core.models import JobState, LogBatch, NodeState
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.providers.slurm.shell import NodeAccessDenied

pytestmark = pytest.mark.sshd

TICKER = 'for i in $(seq 1 {n}); do echo "line $i of {n}"; sleep {pause}; done'


async def test_jobs_are_listed_with_states_nodes_and_time_left(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    multi = slurm_cluster.sbatch("-N2", "--time=5", "--job-name=multi", "--wrap", "srun sleep 30")
    later = slurm_cluster.sbatch("--begin=now+3600", "--job-name=later", "--wrap", "true")
    job = await wait_job(slurm_provider, multi, "running")
    assert (job.name, job.node_count, job.owner, job.provider) == ("multi", 2, "slurmtest", "hpc")
    assert job.started is not None and job.ended is None
    assert "min left" in job.status_detail and "node" in job.status_detail
    left = slurm_provider.time_left(job)
    assert left is not None and 3.5 * 60 < left.total_seconds() <= 5 * 60
    nodes = await slurm_provider.list_nodes(job)
    assert len(nodes) == 2 and len({n.name for n in nodes}) == 2
    assert nodes[0].role == "batch" and nodes[1].role == "compute"
    assert all(n.host == "127.0.0.1" and n.state is NodeState.RUNNING for n in nodes)
    assert all(n.cores == 2 and n.user == "slurmtest" for n in nodes)
    pending = await job_in(slurm_provider, later)
    assert pending.state is JobState.QUEUED and pending.status_detail == "pending: BeginTime"
    assert await slurm_provider.list_nodes(pending) == []
    assert slurm_provider.time_left(pending) is None
    jobs = await slurm_provider.list_jobs()
    assert all(j.owner == "slurmtest" for j in jobs)
    active = [j.state.is_active for j in jobs]
    assert active == sorted(active, reverse=True)  # active first
    assert slurm_provider.version == "22.05.8"
    await slurm_provider.stop_job(pending)
    await slurm_provider.stop_job(job)
    stopped = await wait_job(slurm_provider, multi, "stopped")
    assert stopped.status_detail.startswith("cancelled · ran ") and stopped.ended is not None


async def test_failing_jobs_show_exit_code_and_signal(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    bad = slurm_cluster.sbatch("--job-name=bad", "--wrap", "echo about to fail; exit 3")
    killed = slurm_cluster.sbatch("--job-name=killed", "--wrap", "kill -9 $$")
    job = await wait_job(slurm_provider, bad, "failed")
    assert job.status_detail.startswith("failed · exit 3 · ran ")
    assert (
        "killed by SIGKILL (9) · ran "
        in (await wait_job(slurm_provider, killed, "failed")).status_detail
    )
    batches = await collect(slurm_provider.stream_log(job))
    assert lines_of(batches) == ["about to fail"] and batches[-1].finished


async def test_live_log_survives_a_dropped_connection_without_loss_or_duplicates(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    script = TICKER.format(n=60, pause=0.04) + "; printf 'last line without newline'"
    job_id = slurm_cluster.sbatch("--job-name=ticker", "--wrap", script)
    job = await wait_job(slurm_provider, job_id, "running")
    assert slurm_cluster.sshd is not None
    logins = slurm_cluster.sshd.accepted_logins()
    batches: list[LogBatch] = []
    dropped = False
    async with asyncio.timeout(WAIT):
        async for batch in slurm_provider.stream_log(job):
            batches.append(batch)
            if not dropped and len(lines_of(batches)) >= 10:
                conn = slurm_provider.pool.cached(slurm_provider.login)
                assert conn is not None
                conn.close()  # a forced reconnect, mid-stream
                dropped = True
            if batch.finished:
                break
    expected = [f"line {i} of 60" for i in range(1, 61)] + ["last line without newline"]
    assert dropped and lines_of(batches) == expected
    assert slurm_cluster.sshd.accepted_logins() == logins + 1  # it did log in again
    assert batches[-1].offset == slurm_cluster.file_size(f"slurm-{job_id}.out")
    assert [b.offset for b in batches] == sorted(b.offset for b in batches)
    tail = await collect(slurm_provider.stream_log(job, offset=len(b"line 1 of 60\n" * 1)))
    assert lines_of(tail) == expected[1:]


async def test_partial_line_waits_for_its_newline(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    script = "printf 'first\\nhalf'; sleep 1.5; printf ' done\\n'; sleep 0.5"
    job = await wait_job(
        slurm_provider, slurm_cluster.sbatch("--job-name=partial", "--wrap", script), "running"
    )
    seen: list[tuple[tuple[str, ...], int]] = []
    async with asyncio.timeout(WAIT):
        async for batch in slurm_provider.stream_log(job):
            if batch.lines:
                seen.append((batch.lines, batch.offset))
            if batch.finished:
                break
    assert seen[0] == (("first",), 6)
    assert [line for lines, _ in seen for line in lines] == ["first", "half done"]
    assert seen[-1][1] == len(b"first\nhalf done\n")


async def test_patterned_stdout_and_stderr(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    job_id = slurm_cluster.sbatch(
        "--job-name=pat",
        "--output=out-%x-%u-%j.log",
        "--error=err-%x-%j.log",
        "--wrap",
        "echo to stdout; echo to stderr >&2",
    )
    job = await wait_job(slurm_provider, job_id, "completed")
    # where Slurm put it (%x %u %j expanded), and the provider found it there
    assert slurm_cluster.file_size(f"out-pat-slurmtest-{job_id}.log") == len(b"to stdout\n")
    assert lines_of(await collect(slurm_provider.stream_log(job))) == ["to stdout"]
    errors = await collect(slurm_provider.stream_log(job, stderr=True))
    assert lines_of(errors) == ["to stderr"] and errors[-1].finished


async def test_shell_on_a_compute_node_through_the_login_host(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    job_id = slurm_cluster.sbatch("--job-name=shell", "--wrap", "echo ready; sleep 30")
    job = await wait_job(slurm_provider, job_id, "running")
    stream = slurm_provider.stream_log(job)
    async with asyncio.timeout(WAIT):
        first = await anext(stream)
        while not first.lines:  # perhaps "waiting for ... to appear" first
            assert first.notes and "to appear" in first.notes[0]
            first = await anext(stream)
    assert first.lines == ("ready",)
    tail = f"tail -c +1 -F -- {slurm_cluster.workdir}/slurm-{job_id}.out"
    assert slurm_cluster.user_processes(tail)
    await stream.aclose()  # leaving a log closes its remote `tail -F`
    await wait_until(
        lambda: not slurm_cluster.user_processes(tail),
        within=WAIT,
        pause=lambda: asyncio.sleep(0.05),
        what="the remote tail to exit",
    )
    node = (await slurm_provider.list_nodes(job))[0]
    target = slurm_provider.ssh_target(node)
    assert target.jump == slurm_provider.login and target.host == "127.0.0.1"
    backend = slurm_provider.shell_backend(node, command="echo shell-on-$SLURM_CONF")
    async with asyncio.timeout(WAIT):
        await backend.start(80, 24)
        output = b""
        while chunk := await backend.read():
            output += chunk
    assert f"shell-on-{slurm_cluster.conf}".encode() in output
    assert slurm_provider.pool.cached(target) is not None  # a pooled connection via the jump
    await slurm_provider.stop_job(job)


async def test_a_node_that_refuses_ssh_says_why(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    """A node sshd that denies the user stands in for a pam_slurm_adopt site."""
    strict = SshdServer(slurm_cluster.base / f"strict-{tmp_path.name}")
    with strict.config.open("a") as out:
        out.write(f"DenyUsers {slurm_cluster.user}\n")
    strict.start()
    provider = make_provider(slurm_cluster, tmp_path / "state", node_port=strict.port)
    strict.write_known_hosts(tmp_path / "state" / "known_hosts")
    try:
        job_id = slurm_cluster.sbatch("--job-name=deny", "--wrap", "true")
        job = await wait_job(provider, job_id, "completed")
        node = (await provider.list_nodes(job))[0]
        assert node.state is NodeState.STOPPED
        with pytest.raises(NodeAccessDenied, match="pam_slurm_adopt") as info:
            async with asyncio.timeout(WAIT):
                await provider.shell_backend(node).start(80, 24)
        assert f"job {job_id}" in info.value.message
    finally:
        await provider.close()
        strict.stop()


async def test_a_big_finished_log_is_read_in_chunks_and_resumes_at_any_batch(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    job_id = slurm_cluster.sbatch("--job-name=big", "--wrap", "seq 1 60000")  # ~350 KB
    job = await wait_job(slurm_provider, job_id, "completed")
    batches = await collect(slurm_provider.stream_log(job))
    expected = [str(i) for i in range(1, 60001)]
    assert lines_of(batches) == expected and len(batches) > 2
    middle = batches[len(batches) // 2]
    resumed = await collect(slurm_provider.stream_log(job, offset=middle.offset))
    assert lines_of(resumed) == expected[expected.index(middle.lines[-1]) + 1 :]


async def test_hostile_names_and_paths_on_the_real_squeue(
    slurm_cluster: SlurmCluster, slurm_provider: SlurmProvider
) -> None:
    """Slurm keeps separators, newlines and escapes in names and paths; each stays in its job."""
    name = "a\x1fb\x1ec\nd|e \x1b]0;pwn\x07\x1b[2J"
    out = str(slurm_cluster.workdir / "o\x1fx\ny-%j.out")
    hostile = slurm_cluster.sbatch(f"--job-name={name}", f"--output={out}", "--wrap", "sleep 20")
    plain = slurm_cluster.sbatch("--job-name=plain-neighbour", "--wrap", "sleep 20")
    try:
        job = await wait_job(slurm_provider, hostile, "running", "queued")
        neighbour = await wait_job(slurm_provider, plain, "running", "queued")
        assert job.name == name and neighbour.name == "plain-neighbour"
        record = slurm_provider.book.records[hostile]
        assert record.stdout == out and record.user == slurm_cluster.user
        assert output_path(record) == out.replace("%j", hostile)
    finally:
        slurm_cluster.scancel_as_root(hostile, plain)
