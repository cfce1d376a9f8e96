"""The generated ssh config, used by the real OpenSSH client (`ssh -F file alias hostname`).

Every connection runs with `BatchMode=yes`: ssh may not ask about a host key or a password, so
a pass means the block alone (IdentityFile, the known_hosts clusterdeck trusts, a HostKeyAlias
pin, ProxyJump) got it there.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import require_binary
from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tests.fake_rescale.helpers import job_named, make_provider
from tests.integration.sshd import TEST_USER, SshdServer, running_sshd
from tui.core.clock import ManualClock
from tui.core.providers.base import ProviderContext
from tui.core.providers.demo.provider import DemoProvider
from tui.core.providers.inventory.provider import InventoryProvider
from tui.core.providers.rescale.credentials import ENV_VAR
from tui.core.ssh.trust import add_job_host
from tui.core.sshconfig.blocks import HostBlock
from tui.core.sshconfig.build import TrustFiles, node_blocks
from tui.core.sshconfig.write import write_blocks

pytestmark = pytest.mark.sshd


def openssh(
    config: Path, alias: str, *command: str, program: str = "ssh"
) -> subprocess.CompletedProcess[str]:
    """`ssh -F config -o BatchMode=yes alias command...` (the real client, 20 s at most);
    `program="scp"` copies instead (`alias` and `command` are then source and target)."""
    require_binary(program)
    return subprocess.run(
        [program, "-F", str(config), "-o", "BatchMode=yes", alias, *command],
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )


def trust(state: Path) -> TrustFiles:
    return TrustFiles((Path.home() / ".ssh" / "known_hosts", state / "known_hosts"), state / "jobs")


def inventory(state: Path, **options: object) -> InventoryProvider:
    context = ProviderContext(state, state / "known_hosts", ManualClock(), "lab")
    return InventoryProvider.create({"probe": False, **options}, context)


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[SshdServer, SshdServer]]:
    with running_sshd(tmp_path / "a") as a, running_sshd(tmp_path / "b") as b:
        b.authorize(a.client_key)
        yield a, b


async def written(tmp_path: Path, blocks: list[HostBlock]) -> Path:
    path = tmp_path / "home-ssh" / "clusterdeck.conf"
    path.parent.mkdir(exist_ok=True)
    write_blocks(path, blocks)
    assert path.stat().st_mode & 0o777 == 0o600
    return path


async def test_an_inventory_node_and_one_behind_a_jump_host(
    two: tuple[SshdServer, SshdServer], tmp_path: Path, isolated_home: Path
) -> None:
    a, b = two
    (isolated_home / ".ssh").mkdir()
    (isolated_home / ".ssh" / "config").write_text(  # the jump host, as the user has it
        f"Host hop\n  HostName 127.0.0.1\n  Port {a.port}\n  User {TEST_USER}\n"
        f"  IdentityFile {a.client_key}\n"
    )
    state = tmp_path / "state"
    for server in (a, b):
        server.write_known_hosts(state / "known_hosts")
    provider = inventory(
        state,
        user=TEST_USER,
        key=str(a.client_key),
        clusters=[
            {"name": "direct", "nodes": [f"127.0.0.1:{a.port}"]},
            {
                "name": "behind",
                "jump": "hop",
                "nodes": [{"name": "inner", "host": "127.0.0.1", "port": b.port}],
            },
        ],
    )
    try:
        direct, behind = await provider.list_jobs()
        blocks = await node_blocks(
            provider, direct, (await provider.list_nodes(direct))[0], trust(state)
        )
        inner = await node_blocks(
            provider, behind, (await provider.list_nodes(behind))[0], trust(state)
        )
    finally:
        await provider.close()
    [node] = blocks
    assert (node.option("HostName"), node.option("Port")) == ("127.0.0.1", str(a.port))
    assert node.option("User") == TEST_USER and node.option("IdentityFile") == str(a.client_key)
    jump, hidden = inner
    assert jump.option("Port") == str(a.port) and jump.option("IdentityFile") == str(a.client_key)
    assert (
        hidden.option("ProxyJump") == jump.alias and hidden.alias == "clusterdeck-lab-behind-inner"
    )
    config = await written(tmp_path, [*blocks, *inner])
    result = openssh(config, node.alias, "echo $SSH_CONNECTION")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[3] == str(a.port)
    before = a.accepted_logins()
    result = openssh(config, hidden.alias, "echo $SSH_CONNECTION; hostname")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[3] == str(b.port)  # the inner sshd...
    assert a.accepted_logins() == before + 1  # ...reached through the jump host
    # scp (SFTP) takes the same block: a file from the inner node, through the jump host.
    remote = b.shared_dir() / "result.txt"
    remote.write_text("from the inner node\n")
    copied = tmp_path / "copied.txt"
    scp = openssh(config, f"{hidden.alias}:{remote}", str(copied), program="scp")
    assert scp.returncode == 0, scp.stderr
    assert copied.read_text() == "from the inner node\n"


async def test_a_key_trusted_for_the_job_is_pinned_under_the_alias(
    sshd: SshdServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    provider = inventory(
        state,
        user=TEST_USER,
        key=str(sshd.client_key),
        clusters=[{"name": "cloud", "nodes": [f"127.0.0.1:{sshd.port}"]}],
    )
    try:
        [job] = await provider.list_jobs()
        [node] = await provider.list_nodes(job)
        key = asyncssh.import_public_key(sshd.host_public_key())
        add_job_host(state / "jobs", "127.0.0.1", sshd.port, key, job.key)  # "for this job"
        [block] = await node_blocks(provider, job, node, trust(state))
    finally:
        await provider.close()
    assert block.option("HostKeyAlias") == block.alias
    pinned = [
        line for line in (state / "jobs").read_text().splitlines() if line.startswith(block.alias)
    ]
    assert len(pinned) == 1 and pinned[0].endswith(f"clusterdeck-job={job.key.replace(':', '%3A')}")
    assert not (state / "known_hosts").exists()  # trusted for the job only
    config = await written(tmp_path, [block])
    result = openssh(config, block.alias, "hostname")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    # Once the job's trust is gone (the job ended), ssh no longer trusts the address.
    (state / "jobs").write_text("")
    result = openssh(config, block.alias, "hostname")
    assert result.returncode != 0 and "Host key verification failed" in result.stderr


@pytest.fixture
def fake(sshd: SshdServer) -> Iterator[FakeRescale]:
    with running_fake() as server:
        node = {
            "publicIp": "127.0.0.1",
            "username": sshd.user,
            "sshPort": sshd.port,
            "role": "MPI_MASTER",
            "clusterId": "c1",
        }
        server.add_job("cfd-wing", instances=[node], ssh_port=sshd.port)
        yield server


async def test_a_rescale_master(
    fake: FakeRescale, sshd: SshdServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    state = tmp_path / "state"
    sshd.write_known_hosts(state / "known_hosts")
    provider = make_provider(fake, ssh_key=sshd.client_key)
    await provider.start()
    try:
        job = await job_named(provider, "cfd-wing")
        [block] = await node_blocks(
            provider, job, (await provider.list_nodes(job))[0], trust(state)
        )
    finally:
        await provider.close()
    assert block.alias.startswith("clusterdeck-rescale-") and block.alias.endswith("-master")
    config = await written(tmp_path, [block])
    result = openssh(config, block.alias, "id -un")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sshd.user


async def test_a_demo_node_while_the_demo_runs(tmp_path: Path) -> None:
    require_binary("ssh")
    state = tmp_path / "state"
    demo = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await demo.start()
    try:
        job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
        node = (await demo.list_nodes(job))[1]
        [block] = await node_blocks(demo, job, node, trust(state))
        config = await written(tmp_path, [block])
        proc = await asyncio.create_subprocess_exec(  # the demo's servers run on this loop
            "ssh", "-F", str(config), "-o", "BatchMode=yes", block.alias, "echo demo-$((6*7))",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with asyncio.timeout(20):
            out, err = await proc.communicate()
    finally:
        await demo.close()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "demo-42"
    assert block.alias == f"clusterdeck-demo-{job.id}-{node.name}"
