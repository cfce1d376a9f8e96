"""Shells on compute nodes by every site policy, on a real Slurm: ssh, srun --overlap, auto."""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from pathlib import Path

import pytest

from tests.integration.node_sites import closed_port, refusing_node_sshd
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import (  # noqa: F401 - fixtures
    WAIT,
    make_provider,
    slurm_cluster_fixture,
    wait_job,
)
from tui.core.models import Node, NodeState
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.providers.slurm.shell import (
    NoAllocation,
    NodeAccessDenied,
    NodeShellBackend,
    SrunMissing,
    SrunRefused,
)

pytestmark = pytest.mark.sshd


async def read_until(backend: NodeShellBackend, pattern: str, seen: bytearray) -> re.Match[str]:
    """Read the shell's output until `pattern` matches in what came since `seen` was cleared."""
    async with asyncio.timeout(WAIT):
        while True:
            found = re.search(pattern, seen.decode(errors="replace"))
            if found:
                del seen[:]
                return found
            chunk = await backend.read()
            assert chunk, f"the shell ended before {pattern!r}: {seen.decode(errors='replace')}"
            seen += chunk


async def running_node(provider: SlurmProvider, cluster: SlurmCluster, name: str) -> Node:
    job_id = cluster.sbatch(f"--job-name={name}", "--time=5", "--wrap", "sleep 120")
    job = await wait_job(provider, job_id, "running")
    return (await provider.list_nodes(job))[0]


async def test_srun_only_site_opens_the_shell_inside_the_allocation_and_passes_resizes(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
        provider = make_provider(slurm_cluster, tmp_path / "state", node_port=node_sshd.port)
        node_sshd.write_known_hosts(tmp_path / "state" / "known_hosts")
        try:
            node = await running_node(provider, slurm_cluster, "srun-only")
            backend = provider.shell_backend(node)
            assert backend.policy == "auto"
            await backend.start(80, 24)
            try:
                assert backend.route is not None
                assert backend.route.startswith("srun --overlap (ssh to node refused: ")
                assert "Permission denied" in backend.route or "refused" in backend.route
                assert backend.target == provider.login  # a channel on the login connection
                seen = bytearray()
                backend.write(b"echo job=$SLURM_JOB_ID node=$SLURMD_NODENAME; stty size\r")
                got = await read_until(backend, r"job=(\d+) node=(\w+)\s+(\d+ \d+)", seen)
                assert got.group(1) == node.job_id and got.group(2) == node.name
                assert got.group(3) == "24 80"
                backend.resize(132, 40)
                backend.write(b"echo size; stty size\r")
                assert (await read_until(backend, r"size\s+(\d+ \d+)", seen)).group(1) == "40 132"
            finally:
                await backend.close()
            assert provider.routes[(node.job_id, node.name)] == "srun"
            tries = node_sshd.log.read_text().count("not allowed because")
            assert tries >= 1  # the first start did try ssh
            route = backend.route
            await backend.start(80, 24)  # a reconnect goes straight to srun, same reason
            await backend.close()
            assert backend.route == route
            assert node_sshd.log.read_text().count("not allowed because") == tries
        finally:
            await provider.close()


async def test_a_node_without_sshd_falls_back_to_srun_and_says_so(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    provider = make_provider(slurm_cluster, tmp_path / "state", node_port=closed_port())
    try:
        node = await running_node(provider, slurm_cluster, "no-sshd")
        backend = provider.shell_backend(node, command="echo in-$SLURM_JOB_ID")
        await backend.start(80, 24)
        output = b""
        async with asyncio.timeout(WAIT):
            while chunk := await backend.read():
                output += chunk
        assert f"in-{node.job_id}".encode() in output
        assert backend.route is not None and backend.route.startswith(
            "srun --overlap (ssh to node failed: "
        )
        assert "refused" in backend.route
    finally:
        await provider.close()


async def test_node_shell_ssh_never_falls_back_and_srun_never_tries_ssh(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
        ssh_only = make_provider(
            slurm_cluster, tmp_path / "a", node_port=node_sshd.port, node_shell="ssh"
        )
        node_sshd.write_known_hosts(tmp_path / "a" / "known_hosts")
        srun_only = make_provider(
            slurm_cluster, tmp_path / "b", node_port=node_sshd.port, node_shell="srun"
        )
        try:
            node = await running_node(ssh_only, slurm_cluster, "policies")
            with pytest.raises(NodeAccessDenied, match="pam_slurm_adopt"):
                await ssh_only.shell_backend(node).start(80, 24)
            logins_before = node_sshd.log.read_text().count("not allowed because")
            assert logins_before >= 1
            backend = srun_only.shell_backend(node, command="hostname")
            await backend.start(80, 24)
            async with asyncio.timeout(WAIT):
                while await backend.read():
                    pass
            assert backend.route == 'srun --overlap (node_shell = "srun")'
            assert node_sshd.log.read_text().count("not allowed because") == logins_before
        finally:
            await ssh_only.close()
            await srun_only.close()


async def test_a_pending_job_has_no_allocation_to_open(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    provider = make_provider(slurm_cluster, tmp_path / "state", node_shell="srun")
    try:
        job_id = slurm_cluster.sbatch("--begin=now+3600", "--job-name=later", "--wrap", "true")
        job = await wait_job(provider, job_id, "queued")
        assert await provider.list_nodes(job) == []
        node = Node(job_id, "node01", "batch", "127.0.0.1", 22, NodeState.PENDING)
        with pytest.raises(NoAllocation, match=rf"job {job_id} \(later\) has no allocation yet"):
            await provider.shell_backend(node).start(80, 24)
        allocation = await provider.allocation(node)
        assert allocation.missing is not None and "pending (BeginTime)" in allocation.missing
        await provider.stop_job(job)
    finally:
        await provider.close()


SLURM_CLIENTS = ("sacct", "sbatch", "scancel", "scontrol", "sinfo", "squeue", "sstat")
"""A login host's Slurm programs but srun (symlinked into a `bin_dir` of their own)."""


async def test_srun_refused_in_someone_elses_job_names_both_routes_and_srun_own_words(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    """Slurm lets only the job's owner start steps: a real refusal, not a hang or a blank tab."""
    job_id = slurm_cluster.sbatch_as_root("--job-name=not-mine", "--time=5", "--wrap", "sleep 120")
    try:
        with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
            provider = make_provider(
                slurm_cluster, tmp_path / "state", node_port=node_sshd.port, all_users=True
            )
            node_sshd.write_known_hosts(tmp_path / "state" / "known_hosts")
            srun_only = make_provider(
                slurm_cluster, tmp_path / "b", node_shell="srun", all_users=True
            )
            try:
                job = await wait_job(provider, job_id, "running")
                node = (await provider.list_nodes(job))[0]
                backend = provider.shell_backend(node)
                async with asyncio.timeout(WAIT):
                    with pytest.raises(SrunRefused) as refused:
                        await backend.start(80, 24)
                message = refused.value.message
                assert message.startswith("ssh to node refused: ")
                said = f"srun: error: Unable to create step for job {job_id}: Access/permission"
                assert f"; srun --overlap refused: {said} denied." in message
                assert f"check that job {job_id} is yours" in message
                assert refused.value.title == f"No way onto {node.name} by ssh or srun"
                assert backend.route is None and (job_id, node.name) not in provider.routes
                async with asyncio.timeout(WAIT):  # retry (r): the same answer, ssh tried again
                    with pytest.raises(SrunRefused, match="ssh to node refused"):
                        await backend.start(80, 24)
                with pytest.raises(SrunRefused) as only:
                    await srun_only.shell_backend(node).start(80, 24)
                assert only.value.message.startswith(f"srun --overlap refused: {said} denied.")
                assert only.value.title == "srun into the job refused"
            finally:
                await provider.close()
                await srun_only.close()
    finally:
        slurm_cluster.scancel_as_root(job_id)


async def test_srun_missing_on_the_login_host_says_so(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    bin_dir = slurm_cluster.base / f"bin-no-srun-{uuid.uuid4().hex[:8]}"
    bin_dir.mkdir()
    for program in SLURM_CLIENTS:
        (bin_dir / program).symlink_to(shutil.which(program) or f"/usr/bin/{program}")
    provider = make_provider(
        slurm_cluster, tmp_path / "state", node_port=closed_port(), bin_dir=str(bin_dir)
    )
    try:
        node = await running_node(provider, slurm_cluster, "no-srun")  # squeue works
        async with asyncio.timeout(WAIT):
            with pytest.raises(SrunMissing) as missing:
                await provider.shell_backend(node).start(80, 24)
        message = missing.value.message
        assert message.startswith("ssh to node failed: ")
        assert f"; srun not found on the login host {provider.login}: " in message
        assert f"{bin_dir}/srun: No such file or directory" in message
        assert "set `bin_dir`" in message
        assert missing.value.title == f"No way onto {node.name}: no ssh, no srun"
    finally:
        await provider.close()
        shutil.rmtree(bin_dir)
