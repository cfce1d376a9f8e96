"""Hosts of ~/.ssh/config for the inventory: Include as ssh reads it, wildcards skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.clock import ManualClock
from tui.core.errors import ProviderError
from tui.core.models import NodeState, SshTarget
from tui.core.providers.base import ProviderContext
from tui.core.providers.inventory.provider import InventoryProvider
from tui.core.providers.inventory.sshconfig import SshConfigError, list_hosts, resolve_alias


def write(home: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = home / ".ssh" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return home / ".ssh" / "config"


def test_hosts_in_order_through_includes(isolated_home: Path) -> None:
    config = write(
        isolated_home,
        {
            "config": (
                "Host first\n  HostName 10.0.0.1\n"
                "Include conf.d/*.conf missing/*.conf\n"
                "Host *.example !bad wild?  last\n"
                'Host = "quoted"\n'
                "Match host foo\n  User x\n"
                "Host first\n"
            ),
            "conf.d/10-a.conf": "Host a1 a2\n",
            "conf.d/20-b.conf": f"Include {isolated_home}/.ssh/abs.conf\nHost b\n",
            "conf.d/skip.txt": "Host never\n",
            "abs.conf": "host abs\n",
        },
    )
    hosts = list_hosts(config)
    assert [h.alias for h in hosts] == ["first", "a1", "a2", "abs", "b", "last", "quoted"]
    assert (hosts[1].path.name, hosts[1].line) == ("10-a.conf", 1)
    assert hosts[0].line == 1


def test_an_unreadable_include_names_the_line(isolated_home: Path) -> None:
    config = write(isolated_home, {"config": "Host a\n\nInclude conf.d\n"})
    (isolated_home / ".ssh" / "conf.d").mkdir()
    with pytest.raises(SshConfigError) as caught:
        list_hosts(config)
    message = str(caught.value)
    assert f"conf.d (included from {config}:3) is a directory" in message
    assert "fix or remove that Include line" in message
    assert caught.value.trail == ("ssh_config",)


def test_an_include_loop_is_refused(isolated_home: Path) -> None:
    config = write(isolated_home, {"config": "Include other\n", "other": "Include config\n"})
    with pytest.raises(SshConfigError, match=r"Include loop: .*config -> .*other -> .*config"):
        list_hosts(config)


def test_missing_user_config_gives_no_hosts(isolated_home: Path) -> None:
    assert list_hosts(isolated_home / ".ssh" / "config", required=False) == []
    with pytest.raises(SshConfigError, match="does not exist"):
        list_hosts(isolated_home / ".ssh" / "config")


async def test_resolve_alias_applies_the_config(isolated_home: Path) -> None:
    config = write(
        isolated_home,
        {
            "config": (
                "Host db\n  HostName 10.0.0.9\n  Port 2222\n  User dbadmin\n"
                "  IdentityFile ~/.ssh/id_db\n  ProxyJump ada@bastion:2200\n"
                "Host plain\n  HostName plain.example\n"
                "Host cmd\n  ProxyCommand nc %h %p\n"
            )
        },
    )
    db = await resolve_alias("db", config)
    assert (db.host, db.port, db.user, db.proxied) == ("10.0.0.9", 2222, "dbadmin", True)
    assert db.key_path == isolated_home / ".ssh" / "id_db"
    assert db.jump == SshTarget("bastion", 2200, "ada")
    plain = await resolve_alias("plain", config)
    assert (plain.host, plain.port, plain.proxied) == ("plain.example", 22, False)
    assert (await resolve_alias("cmd", config)).proxied


async def test_provider_lists_ssh_config_hosts_as_clusters_of_one(
    isolated_home: Path, tmp_path: Path
) -> None:
    config = write(
        isolated_home,
        {
            "config": "Host web\n  HostName 127.0.0.1\n  Port 1\nInclude more\n",
            "more": "Host lab\n",
        },
    )
    context = ProviderContext(tmp_path, tmp_path / "kh", ManualClock(), "mine")
    provider = InventoryProvider.create(
        {"ssh_config": True, "clusters": [{"name": "lab", "nodes": ["x"]}], "probe_timeout": 0.5},
        context,
    )
    jobs = await provider.list_jobs()
    assert [(j.id, j.status_detail) for j in jobs] == [
        ("lab", "1 node · inventory"),
        ("web", "1 node · ~/.ssh/config"),
    ]  # the configured cluster "lab" wins over the SSH config's Host lab
    [web] = await provider.list_nodes(jobs[1])
    assert (web.name, web.host, web.port, web.state) == ("web", "127.0.0.1", 1, NodeState.DOWN)
    assert provider.ssh_target(web) == SshTarget("web")  # the pool applies ~/.ssh/config
    assert provider.banner() == "inventory: 1 cluster, 2 hosts from ~/.ssh/config"
    config.write_text("Host web\nInclude broken\n")
    (config.parent / "broken").mkdir()
    with pytest.raises(ProviderError, match="is a directory"):
        await provider.list_jobs()


async def test_another_ssh_config_file_gives_explicit_targets(
    isolated_home: Path, tmp_path: Path
) -> None:
    other = tmp_path / "hosts.conf"
    other.write_text("Host box\n  HostName 10.2.3.4\n  Port 2022\n  User ops\n")
    context = ProviderContext(tmp_path, tmp_path / "kh", ManualClock(), "mine")
    provider = InventoryProvider.create({"ssh_config": str(other), "probe": False}, context)
    [job] = await provider.list_jobs()
    [node] = await provider.list_nodes(job)
    assert (node.host, node.port, node.user, node.state) == (
        "10.2.3.4",
        2022,
        "ops",
        NodeState.UNKNOWN,
    )
    assert provider.ssh_target(node) == SshTarget("10.2.3.4", 2022, "ops")
