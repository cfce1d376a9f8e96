"""The inventory provider without SSH: entries checked field by field, clusters, nodes, probes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tui.core.clock import ManualClock
from tui.core.errors import ProviderError
from tui.core.models import JobState, NodeState, SshTarget
from tui.core.providers.base import Capability, ProviderContext
from tui.core.providers.inventory.log import skip_seen
from tui.core.providers.inventory.options import InventoryError
from tui.core.providers.inventory.provider import NO_LOG, InventoryProvider


@pytest.fixture
def context(tmp_path: Path) -> ProviderContext:
    return ProviderContext(tmp_path, tmp_path / "known_hosts", ManualClock(), "lab")


@pytest.fixture
def key(isolated_home: Path) -> Path:
    path = isolated_home / ".ssh" / "id_ed25519"
    path.parent.mkdir(mode=0o700)
    path.write_text("not really a key\n")
    return path


def make(context: ProviderContext, **options: Any) -> InventoryProvider:
    return InventoryProvider.create(options, context)


def test_clusters_nodes_and_inherited_connection_fields(
    context: ProviderContext, key: Path
) -> None:
    provider = make(
        context,
        user="ada",
        key="~/.ssh/id_ed25519",
        clusters=[
            {
                "name": "lab",
                "jump": "bob@login.example:2222",
                "log_command": "journalctl -f",
                "nodes": [
                    {"name": "gpu1", "host": "10.1.2.3", "port": 2200, "tags": ["gpu", "big"]},
                    "carol@10.1.2.4:23",
                    {"host": "10.1.2.5", "jump": "none", "user": "dave"},
                ],
            },
            {"name": "solo", "port": 2022, "nodes": ["solo.example"]},
        ],
    )
    gpu1, second, third = provider.clusters[0].nodes
    assert (gpu1.name, gpu1.host, gpu1.port, gpu1.user, gpu1.role) == (
        "gpu1",
        "10.1.2.3",
        2200,
        "ada",
        "gpu",
    )
    assert gpu1.key == key
    assert gpu1.jump == SshTarget("login.example", 2222, "bob")
    assert (second.name, second.user, second.port, second.role) == ("10.1.2.4", "carol", 23, "node")
    assert (third.name, third.user, third.jump) == ("10.1.2.5", "dave", None)
    solo = provider.clusters[1].nodes[0]
    assert (solo.host, solo.port, solo.user) == ("solo.example", 2022, "ada")
    assert provider.clusters[1].log_command is None
    assert Capability.LOGS in provider.capabilities and Capability.SHELL in provider.capabilities


def test_jump_chain_and_ssh_config_alias_as_jump(context: ProviderContext) -> None:
    provider = make(context, clusters=[{"name": "c", "jump": "a@hop1:2201,hop2", "nodes": ["n"]}])
    jump = provider.clusters[0].nodes[0].jump
    assert jump == SshTarget("hop2", 22, None, jump=SshTarget("hop1", 2201, "a"))
    alias = make(context, jump="login", clusters=[{"name": "c", "nodes": ["n"]}])
    assert alias.clusters[0].nodes[0].target().jump == SshTarget("login")


async def test_clusters_are_running_jobs_and_nodes_have_targets(context: ProviderContext) -> None:
    provider = make(
        context,
        probe=False,
        clusters=[{"name": "lab", "nodes": ["a", "b", {"name": "c", "host": "h", "port": 2}]}],
    )
    [job] = await provider.list_jobs()
    assert (job.id, job.name, job.state, job.node_count) == ("lab", "lab", JobState.RUNNING, 3)
    assert job.status_detail == "3 nodes · inventory"
    nodes = await provider.list_nodes(job)
    assert [(n.name, n.host, n.port, n.state) for n in nodes] == [
        ("a", "a", 22, NodeState.UNKNOWN),
        ("b", "b", 22, NodeState.UNKNOWN),
        ("c", "h", 2, NodeState.UNKNOWN),
    ]
    assert provider.ssh_target(nodes[2]) == SshTarget("h", 2)
    assert Capability.LOGS not in provider.capabilities
    batches = [b async for b in provider.stream_log(job)]
    assert len(batches) == 1 and batches[0].lines == (NO_LOG,) and batches[0].finished
    again = [b async for b in provider.stream_log(job, offset=1)]
    assert again[0].lines == () and again[0].finished


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    """A port that greets like an SSH server."""

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-test\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_probe_marks_ssh_servers_running_and_others_down(
    context: ProviderContext, listener: int, mute: int
) -> None:
    closed = await _closed_port()
    provider = make(
        context,
        probe_timeout=0.3,
        clusters=[
            {
                "name": "lab",
                "nodes": [
                    f"127.0.0.1:{listener}",
                    {"name": "gone", "host": "127.0.0.1", "port": closed},
                    {"name": "behind", "host": "10.9.9.9", "jump": "login"},
                    {"name": "mute", "host": "127.0.0.1", "port": mute},
                ],
            }
        ],
    )
    [job] = await provider.list_jobs()
    states = [n.state for n in await provider.list_nodes(job)]
    assert states == [NodeState.RUNNING, NodeState.DOWN, NodeState.UNKNOWN, NodeState.DOWN]


@pytest.fixture
async def mute() -> AsyncIterator[int]:
    """A port that accepts connections and says nothing (not an SSH server)."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def _closed_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()
    return port


def test_an_unknown_node_or_cluster_is_a_provider_error(context: ProviderContext) -> None:
    provider = make(context, clusters=[{"name": "lab", "nodes": ["a"]}])
    from tui.core.models import Node

    with pytest.raises(ProviderError, match="no longer in the inventory"):
        provider.ssh_target(Node("gone", "a", "node", "a", 22, NodeState.UNKNOWN))
    with pytest.raises(ProviderError, match="no longer in cluster 'lab'"):
        provider.ssh_target(Node("lab", "zz", "node", "zz", 22, NodeState.UNKNOWN))


BAD_ENTRIES: list[tuple[dict[str, Any], str]] = [
    ({}, "has no clusters: add `clusters = [...]` or `ssh_config = true`"),
    ({"clusters": [{"nodes": ["a"]}]}, 'clusters #1: needs `name = "..."`'),
    ({"clusters": ["lab"]}, "clusters #1: must be a table like"),
    ({"clusters": [{"name": "lab"}]}, 'cluster "lab": needs `nodes = [...]`'),
    ({"clusters": [{"name": "lab", "nodes": []}]}, 'cluster "lab": `nodes` must be a non-empty'),
    (
        {"clusters": [{"name": "lab", "nodes": [{"name": "n"}]}]},
        'cluster "lab", node "n": needs `host = "..."`',
    ),
    (
        {"clusters": [{"name": "lab", "nodes": [{"host": "h", "port": "22"}]}]},
        'cluster "lab", node "h": `port` must be a whole number from 1 to 65535 (got \'22\')',
    ),
    (
        {"clusters": [{"name": "lab", "nodes": [{"host": "h", "hots": 1}]}]},
        "unknown key `hots`; did you mean `host`?",
    ),
    (
        {"clusters": [{"name": "lab", "nodes": [{"host": "h", "tags": "gpu"}]}]},
        "`tags` must be a list of non-empty strings",
    ),
    (
        {"clusters": [{"name": "lab", "nodes": [{"host": "h", "user": "a@b"}]}]},
        "`user` must be a user name without `@`",
    ),
    (
        {"clusters": [{"name": "lab", "nodes": [{"host": "h", "key": "~/nope"}]}]},
        "is not a file; fix the path or make a key with `ssh-keygen",
    ),
    (
        {"clusters": [{"name": "lab", "jump": "a@b:xx", "nodes": ["h"]}]},
        'cluster "lab": `jump` must be "[user@]host[:port]"',
    ),
    (
        {"clusters": [{"name": "lab", "nodes": ["a b"]}]},
        'node "a b": must be "[user@]host[:port]" (no spaces or commas)',
    ),
    (
        {"clusters": [{"name": "lab", "nodes": ["h", "h"]}]},
        "`nodes` has two nodes named 'h'",
    ),
    (
        {"clusters": [{"name": "l", "nodes": ["h"]}, {"name": "l", "nodes": ["g"]}]},
        'cluster "l": is defined twice',
    ),
    (
        {"clusters": [{"name": "lab", "nodes": ["h"], "log_node": "x", "log_command": "c"}]},
        "`log_node` must name one of its nodes: h",
    ),
    ({"port": 0, "clusters": [{"name": "l", "nodes": ["h"]}]}, "`port` must be a whole number"),
    ({"probe_timeout": 30, "clusters": [{"name": "l", "nodes": ["h"]}]}, "`probe_timeout`"),
    ({"ssh_config": "/nonexistent/config"}, "the SSH config /nonexistent/config does not exist"),
]


@pytest.mark.parametrize(("options", "message"), BAD_ENTRIES)
def test_bad_entries_name_cluster_node_and_field(
    context: ProviderContext, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InventoryError if "SSH config" not in message else Exception) as caught:
        make(context, **options)
    assert message in str(caught.value)


def test_every_bad_entry_is_collected(context: ProviderContext) -> None:
    with pytest.raises(InventoryError) as caught:
        make(
            context,
            clusters=[
                {"name": "a", "nodes": [{"host": "h", "port": 0}, {"host": "g", "tags": 1}]},
                {"name": "b", "nodes": []},
            ],
        )
    errors = caught.value.errors
    assert [e.trail for e in errors] == [
        ("clusters", 'name="a"', "nodes", 'host="h"', "port"),
        ("clusters", 'name="a"', "nodes", 'host="g"', "tags"),
        ("clusters", 'name="b"', "nodes"),
    ]
    assert "(and 2 more problems" in str(caught.value)


def test_skip_seen_finds_where_a_rerun_catches_up() -> None:
    history = ["a", "b", "c", "d"]
    assert skip_seen(history, ["b", "c", "d", "e"]) == 3
    assert skip_seen(history, ["c", "d"]) is None  # fewer than ANCHOR lines replayed
    assert skip_seen(history, ["x", "b", "c", "d"]) == 4
    assert skip_seen(history, ["e", "f"]) is None
    assert skip_seen([], ["e"]) == 0
    assert skip_seen(["a"], ["a", "a", "z"]) == 1  # the first place: may repeat, never loses
