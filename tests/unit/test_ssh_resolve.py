"""~/.ssh/config applied to targets: config fills the gaps, explicit target values win."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from tui.core.errors import SshError
from tui.core.models import SshTarget
from tui.core.ssh.resolve import default_config_paths, parse_proxy_jump, resolve_target

CONFIG = """\
Host cluster
  HostName 10.0.0.4
  User alice
  Port 2200
  IdentityFile ~/.ssh/cluster_key
  IdentitiesOnly yes
  ProxyJump bob@bastion:2022
  Ciphers aes256-ctr

Host *.direct
  ProxyJump none

Host aliased
  HostName 10.0.0.9
  HostKeyAlias login.cluster
"""


@pytest.fixture
def config(isolated_home: Path) -> Path:
    path = isolated_home / ".ssh" / "config"
    path.parent.mkdir()
    path.write_text(CONFIG)
    return path


async def test_config_fills_host_user_port_key_and_jump(config: Path, isolated_home: Path) -> None:
    assert default_config_paths() == [config]
    resolved = await resolve_target(SshTarget("cluster"), [config])
    assert (resolved.host, resolved.port, resolved.user) == ("10.0.0.4", 2200, "alice")
    assert resolved.identity_files == (isolated_home / ".ssh" / "cluster_key",)
    assert resolved.identities_only and resolved.config_ciphers
    assert resolved.jump == SshTarget("bastion", 2022, "bob")
    assert resolved.label == "alice@10.0.0.4:2200"


async def test_explicit_target_values_win(config: Path) -> None:
    jump = SshTarget("gateway")
    resolved = await resolve_target(SshTarget("cluster", 2222, "root", jump=jump), [config])
    assert (resolved.host, resolved.port, resolved.user) == ("10.0.0.4", 2222, "root")
    assert resolved.jump is jump


async def test_without_config_the_target_is_taken_as_is(isolated_home: Path) -> None:
    assert default_config_paths() == []
    resolved = await resolve_target(SshTarget("node-1"), [])
    assert (resolved.host, resolved.port, resolved.user) == ("node-1", 22, getpass.getuser())
    assert resolved.jump is None and resolved.identity_files == ()
    assert not resolved.config_ciphers


def test_proxy_jump_values() -> None:
    assert parse_proxy_jump("none") is None
    assert parse_proxy_jump("a,u@b:2022") == SshTarget("b", 2022, "u", jump=SshTarget("a"))
    assert parse_proxy_jump("[::1]:2200") == SshTarget("::1", 2200)
    assert parse_proxy_jump("ssh://u@h") == SshTarget("h", 22, "u")
    with pytest.raises(SshError, match="bad port"):
        parse_proxy_jump("h:port")


async def test_host_key_alias_names_the_known_hosts_entry(config: Path) -> None:
    resolved = await resolve_target(SshTarget("aliased"), [config])
    assert (resolved.host, resolved.host_key_name) == ("10.0.0.9", "login.cluster")
    plain = await resolve_target(SshTarget("cluster"), [config])
    assert plain.host_key_name == "10.0.0.4"
