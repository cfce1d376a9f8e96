"""`config check` reports every bad value of a section, each at its own file:line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.app.commands.config import run_config_command
from tui.core.clock import ManualClock
from tui.core.config.check import check_text
from tui.core.errors import ConfigError
from tui.core.providers.base import ProviderContext
from tui.core.providers.inventory.sshconfig import SshConfigError, list_hosts
from tui.core.providers.slurm.provider import SlurmProvider

WHERE = "/etc/cd.toml"


def problems(text: str, tmp_path: Path) -> list[str]:
    return [str(p) for p in check_text(text, WHERE, state_dir=tmp_path).problems]


def test_every_bad_key_binding_value_is_reported(tmp_path: Path) -> None:
    text = '[keys]\nquit = ""\nfocus-log = ",,,,"\nrefresh = "ctrl+"\nhelp = "f1, ,f2"\n'
    found = problems(text, tmp_path)
    assert [p.split(": ", 1)[0] for p in found] == [f"{WHERE}:{n}" for n in (2, 3, 4, 5)]
    assert "[keys] quit must be a key name" in found[0]
    assert "focus-log" in found[1] and "no empty names between the commas" in found[1]
    assert "'ctrl+' is not a key name" in found[2]
    assert "help" in found[3] and "no empty names" in found[3]


def test_the_issue_s_keys_section_reports_both_bad_values(tmp_path: Path) -> None:
    found = problems('[keys]\nquit = ""\nfocus-log = ",,,,"\nbogus-id = "x"\n', tmp_path)
    assert [p.split(": ", 1)[0] for p in found[:2]] == [f"{WHERE}:2", f"{WHERE}:3"]


def test_good_key_lists_pass(tmp_path: Path) -> None:
    text = '[keys]\nquit = "q,ctrl+q"\nhelp = "f1"\nclose-tab = "ctrl+shift+w, ctrl+w"\n'
    assert problems(text, tmp_path) == []


def test_a_slurm_section_reports_the_conflict_and_every_bad_port(tmp_path: Path) -> None:
    text = (
        '[providers.s]\ntype = "slurm"\nhost = "login"\nssh_alias = "hpc"\nport = 70000\n'
        "node_port = 0\n"
    )
    assert problems(text, tmp_path) == [
        f"{WHERE}:3: [providers.s] give either `host` or `ssh_alias` (not both)",
        f"{WHERE}:5: [providers.s] `port` must be from 1 to 65535 (got 70000)",
        f"{WHERE}:6: [providers.s] `node_port` must be from 1 to 65535 (got 0)",
    ]


def test_start_up_shows_the_first_problem_and_how_many_more(tmp_path: Path) -> None:
    context = ProviderContext(tmp_path, tmp_path / "known_hosts", ManualClock(), "s")
    options = {"host": "login", "ssh_alias": "hpc", "port": 70000}
    with pytest.raises(ConfigError) as caught:
        SlurmProvider.create(options, context)
    assert str(caught.value) == (  # the app puts `[providers.s]`, file and line in front
        "give either `host` or `ssh_alias` (not both) "
        "(and 1 more problem: see `clusterdeck config check`)"
    )


def test_a_type_error_does_not_hide_the_range_errors_of_the_same_section(
    tmp_path: Path,
) -> None:
    text = (
        '[providers.r]\ntype = "rescale"\nbase_url = "http://example.com"\n'
        'poll_interval = 99999\ntail_lines = 5\ntimeout = "x"\n'
    )
    found = problems(text, tmp_path)
    assert [p.split(": ", 1)[0] for p in found] == [f"{WHERE}:{n}" for n in (3, 4, 5, 6)]
    assert "must use https" in found[0] and "poll_interval must be between" in found[1]
    assert "tail_lines must be between 10 and 2000 (got 5)" in found[2]
    assert "timeout must be" in found[3]


def test_config_check_prints_each_problem_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cd.toml"
    path.write_text(
        '[keys]\nquit = ""\nfocus-log = ",,,,"\n\n[providers.s]\ntype = "slurm"\n'
        'host = "login"\nssh_alias = "hpc"\nport = 70000\n'
    )
    assert run_config_command(["check", "--config", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[0] for line in out[:-1]] == [f"{path}:{n}" for n in (2, 3, 7, 9)]
    assert out[-1] == f"4 problems in {path}"


def test_an_include_symlink_loop_is_called_a_loop(isolated_home: Path, tmp_path: Path) -> None:
    ssh = isolated_home / ".ssh"
    ssh.mkdir()
    os.symlink("loop-b", ssh / "loop-a")
    os.symlink("loop-a", ssh / "loop-b")
    config = ssh / "config"
    config.write_text("Host one\n  HostName 10.0.0.1\nInclude loop-a\n")
    with pytest.raises(SshConfigError) as caught:
        list_hosts(config)
    message = str(caught.value)
    assert "does not exist" not in message
    assert f"{ssh / 'loop-a'} (included from {config}:3) is a symbolic link that loops" in message
    assert f"({ssh / 'loop-a'} -> {ssh / 'loop-b'} -> {ssh / 'loop-a'})" in message
    text = f'[providers.lab]\ntype = "inventory"\nssh_config = "{config}"\n'
    [problem] = problems(text, tmp_path)
    assert problem.startswith(f"{WHERE}:3: [providers.lab] the SSH config ")
    assert "is a symbolic link that loops" in problem


def test_a_dangling_include_link_names_its_target(isolated_home: Path) -> None:
    ssh = isolated_home / ".ssh"
    ssh.mkdir()
    os.symlink("gone.conf", ssh / "extra")
    config = ssh / "config"
    config.write_text("Include extra\n")
    with pytest.raises(SshConfigError, match=r"is a symbolic link to gone\.conf, which does not"):
        list_hosts(config)
