"""The Slurm node-shell policy over canned Slurm answers (the real thing: tests/integration)."""

from __future__ import annotations

import pytest

from tests.unit.test_slurm_provider import canned, provider
from tui.core.errors import ConfigError
from tui.core.models import Node, NodeState
from tui.core.providers.slurm.shell import NoAllocation


def node(job_id: str, name: str = "cn001") -> Node:
    return Node(job_id, name, "batch", "10.0.0.1", 22, NodeState.RUNNING)


def test_node_shell_is_checked() -> None:
    with pytest.raises(ConfigError, match="`node_shell` must be one of auto, ssh, srun"):
        provider(canned(), node_shell="mosh")


async def test_allocation_says_pending_and_ended() -> None:
    slurm = provider(canned(), node_shell="srun")
    assert (await slurm.allocation(node("101"))).missing is None
    pending = await slurm.allocation(node("102"))
    assert pending.missing == (
        "job 102 (later) has no allocation yet: it is pending (Priority). "
        "Its shell opens once it runs."
    )
    assert (
        await slurm.allocation(node("105"))
    ).ended == "job 105 (stopped) has ended: its allocation is gone"
    assert (await slurm.allocation(node("999"))).ended == "job 999 is no longer known to Slurm"
    with pytest.raises(NoAllocation, match="pending"):
        await slurm.shell_backend(node("102")).start(80, 24)
    with pytest.raises(NoAllocation, match="allocation is gone"):
        await slurm.shell_backend(node("105")).start(80, 24)


async def test_ssh_config_command_follows_the_policy_and_the_route_taken() -> None:
    srun = provider(canned(), node_shell="srun", bin_dir="/opt/slurm/bin")
    assert await srun.ssh_config_command(node("101")) == (
        "/opt/slurm/bin/srun --jobid=101 --overlap -w cn001 --pty $SHELL -l"
    )
    assert await provider(canned(), node_shell="ssh").ssh_config_command(node("101")) is None
    auto = provider(canned())
    auto.routes[("101", "cn001")] = "srun"  # the last shell there fell back to srun
    assert (await auto.ssh_config_command(node("101")) or "").startswith("srun --jobid=101 ")
    auto.routes[("101", "cn001")] = "ssh"
    assert await auto.ssh_config_command(node("101")) is None
