"""The generated ssh config on a real Slurm: ProxyJump through the login host, and on a site
whose compute nodes refuse SSH, a RemoteCommand that enters the allocation with srun."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.integration.node_sites import refusing_node_sshd
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import (  # noqa: F401 - fixtures
    WAIT,
    make_provider,
    slurm_cluster_fixture,
    wait_job,
)
from tests.integration.test_ssh_config_openssh import openssh, trust
from tui.app.app import system_ssh_command
from tui.core.sshconfig.build import node_blocks
from tui.core.sshconfig.write import write_blocks

pytestmark = pytest.mark.sshd


def interactive_ssh(argv: list[str], typed: bytes, until: bytes) -> re.Match[bytes]:
    """Run `argv` (an ssh command) on a real pseudo-terminal, type `typed` at the first prompt,
    read until the pattern `until` matches the output."""
    require_binary("ssh")
    pid, fd = pty.fork()
    if pid == 0:  # the child: ssh on the new terminal
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    seen = b""
    deadline = time.monotonic() + WAIT
    sent = False
    found = None
    try:
        while found is None:
            left = deadline - time.monotonic()
            assert left > 0, f"no {until!r} from ssh; got {seen[-800:]!r}"
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                found = re.search(until, seen)
            if not sent and (b"$ " in seen or b"# " in seen):
                os.write(fd, typed)
                sent = True
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    assert found is not None, f"ssh ended without {until!r}; got {seen[-800:]!r}"
    return found


async def test_a_node_through_the_login_host(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    state = tmp_path / "state"
    provider = make_provider(slurm_cluster, state, node_shell="ssh")
    try:
        job_id = slurm_cluster.sbatch("--job-name=cfg", "--time=5", "--wrap", "sleep 60")
        job = await wait_job(provider, job_id, "running")
        node = (await provider.list_nodes(job))[0]
        login, block = await node_blocks(provider, job, node, trust(state))
    finally:
        await provider.close()
    assert block.alias == f"clusterdeck-hpc-{job_id}-{node.name}"
    assert block.option("ProxyJump") == login.alias and block.option("RemoteCommand") is None
    config = tmp_path / "ssh.conf"
    write_blocks(config, [login, block])
    result = openssh(config, block.alias, "echo on-$SLURM_CONF")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"on-{slurm_cluster.conf}"


async def test_an_srun_only_site_lands_inside_the_allocation(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
        provider = make_provider(slurm_cluster, state, node_port=node_sshd.port)
        node_sshd.write_known_hosts(state / "known_hosts")
        try:
            job_id = slurm_cluster.sbatch("--job-name=cfg-srun", "--time=5", "--wrap", "sleep 60")
            job = await wait_job(provider, job_id, "running")
            node = (await provider.list_nodes(job))[0]
            blocks = await node_blocks(provider, job, node, trust(state))  # probes: refused
        finally:
            await provider.close()
        [block] = blocks
        assert block.option("Port") == str(provider.login.port)  # lands on the login host
        assert block.option("RequestTTY") == "yes"
        assert block.option("RemoteCommand") == (
            f"srun --jobid={job_id} --overlap -w {node.name} --pty $SHELL -l"
        )
        config = tmp_path / "ssh.conf"
        write_blocks(config, blocks)
        assert "ProxyJump" not in config.read_text()
        typed = b"echo JOB=$SLURM_JOB_ID NODE=$SLURMD_NODENAME; exit\r"
        argv = ["ssh", "-F", str(config), "-o", "BatchMode=yes", block.alias]
        found = interactive_ssh(argv, typed, rb"JOB=(\d+) NODE=(\w+)")
        assert found.groups() == (job_id.encode(), node.name.encode())
        # `x` (the system ssh) takes the same route: ssh -t to the login host, then srun.
        system = system_ssh_command(
            provider.ssh_target(node),
            known_hosts=state / "known_hosts",
            remote_command=block.option("RemoteCommand"),
        )
        assert system[:2] == ["ssh", "-t"] and system[-1].startswith("srun --jobid=")
        found = interactive_ssh(system, typed, rb"JOB=(\d+) NODE=(\w+)")
        assert found.groups() == (job_id.encode(), node.name.encode())
        assert "refused" in node_sshd.log.read_text() or "not allowed" in node_sshd.log.read_text()


def test_the_cli_prints_the_same_blocks(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    assert slurm_cluster.sshd is not None
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    config.write_text(
        "[providers.hpc]\n"
        'type = "slurm"\n'
        'host = "127.0.0.1"\n'
        f"port = {slurm_cluster.sshd.port}\n"
        f'user = "{slurm_cluster.user}"\n'
        f'key = "{slurm_cluster.sshd.client_key}"\n'
        f"node_port = {slurm_cluster.sshd.port}\n"
        'node_shell = "ssh"\n'
    )
    state.mkdir()
    slurm_cluster.sshd.write_known_hosts(state / "known_hosts")
    job_id = slurm_cluster.sbatch("--job-name=cli-cfg", "--time=5", "--wrap", "sleep 60")
    slurm_cluster.wait_state(job_id, "RUNNING")
    env = {**os.environ, "CLUSTERDECK_STATE_DIR": str(state)}
    command = [sys.executable, "-m", "tui", "ssh-config", "--config", str(config), "--job", job_id]
    printed = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert printed.returncode == 0, printed.stderr
    assert f"Host clusterdeck-hpc-{job_id}-node" in printed.stdout
    target = tmp_path / "ssh" / "clusterdeck.conf"
    wrote = subprocess.run(
        [*command, "--write", str(target)], capture_output=True, text=True, timeout=60, env=env
    )
    assert wrote.returncode == 0, wrote.stderr
    assert "Include" in wrote.stdout and target.read_text() == printed.stdout
    alias = re.search(r"^Host (clusterdeck-hpc-\S+-node\d+)$", printed.stdout, re.M)
    assert alias is not None
    result = openssh(target, alias.group(1), "hostname")
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*command[:-1], "999999"], capture_output=True, text=True, timeout=60, env=env
    )
    assert missing.returncode == 1 and "no job '999999'" in missing.stderr
