"""Persistent shells without a node: names, tmux output parsing, config, the ledger, quitting."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tui.app.quitting import kept_message, quit_question
from tui.app.screens.shells.persist import SessionLedger, persist_mode
from tui.core.config.check import check_text
from tui.core.config.settings import parse_settings
from tui.core.errors import ConfigError
from tui.core.models import Job, JobState
from tui.core.ssh.persistent import (
    EXIT_FOREIGN,
    EXIT_GONE,
    attach_command,
    kill_command,
    parse_probe,
    parse_sessions,
    safe_value,
    session_name,
)
from tui.core.ssh.persistent_shell import backoff_delay


def test_session_names_keep_only_safe_characters() -> None:
    assert session_name("4207", "master-0", 1) == "cd-4207-master-0-1"
    assert session_name("job 1;rm -rf", "node.a:b\x1b[0m", 2) == "cd-job_1_rm_-rf-node_a_b_0m-2"
    assert session_name("", "n", 3) == "cd-x-n-3"
    assert len(session_name("j" * 100, "n" * 100, 9)) <= 64
    assert safe_value("demo:4207 ;x'") == "demo:4207_x_"


def test_listing_lines_are_split_from_the_right() -> None:
    lines = [
        "cd-1-n-1|1|demo:1|n|2|1700000000|1700000100",
        "my|own|session||||0|1700000000|1700000000",  # a user's name may hold `|`
        "garbage",
    ]
    ours, theirs = parse_sessions(lines)
    assert (ours.name, ours.ours, ours.job, ours.node, ours.attached) == (
        "cd-1-n-1",
        True,
        "demo:1",
        "n",
        2,
    )
    assert ours.created == 1700000000 and ours.activity == 1700000100
    assert theirs.name == "my|own|session" and not theirs.ours


def test_probe_output() -> None:
    assert not parse_probe(b"notmux\n").installed
    probe = parse_probe(b"tmux\ncd-1-n-1|1|j|n|0|1|2\n--capture--\n\x1b[31mred\x1b[0m\nnext\n")
    assert probe.installed and probe.find("cd-1-n-1") is not None
    assert probe.capture == b"\x1b[31mred\x1b[0m\nnext\n"


def test_commands_are_one_quoted_sh_line_that_checks_the_marker() -> None:
    command = attach_command("cd-1-n-1", job="demo:1; rm -rf ~", node="n", create=False)
    argv = shlex.split(command)
    assert argv[:2] == ["sh", "-c"] and len(argv) == 3
    script = argv[2]
    assert f"exit {EXIT_GONE}" in script and f"exit {EXIT_FOREIGN}" in script
    assert "new-session" not in script, "a reattach never makes a new session"
    assert "exec tmux attach-session -t =cd-1-n-1" in script
    assert "@clusterdeck" in script and "=cd-1-n-1:" in script
    made = shlex.split(attach_command("cd-1-n-1", job="demo:1; rm -rf ~", node="n", create=True))
    assert "@clusterdeck_job demo:1_rm_-rf_ " in made[2]
    assert "not a clusterdeck session" in kill_command("x")


def test_backoff_is_jittered_and_capped() -> None:
    assert backoff_delay(0, lambda: 0.0) == pytest.approx(0.2)
    assert backoff_delay(0, lambda: 1.0) == pytest.approx(2.0)
    assert backoff_delay(3, lambda: 1.0) == pytest.approx(16.0)
    assert backoff_delay(30, lambda: 1.0) == pytest.approx(30.0)


PROVIDER = '[providers.lab]\ntype = "demo"\n'


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            PROVIDER + 'persistent = "mosh"\n',
            3,
            'persistent must be one of "auto", "tmux", "screen"',
        ),
        (PROVIDER + 'persistent_nodes = "off"\n', 3, "persistent_nodes must be a table"),
        (
            PROVIDER + 'persistent_nodes = { "gpu*" = "yes" }\n',
            3,
            "persistent_nodes.gpu* must be one of",
        ),
        ('[demo]\npersistent = "on"\n', 2, "persistent"),
    ],
)
def test_bad_persistent_settings_name_their_line(
    text: str, line: int, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "c.toml", state_dir=tmp_path)
    assert caught.value.line == line and message in str(caught.value)
    [problem] = check_text(text, "c.toml", state_dir=tmp_path).problems
    assert problem.line == line


def test_the_mode_of_a_node(tmp_path: Path) -> None:
    text = PROVIDER + 'persistent = "tmux"\npersistent_nodes = { "gpu*" = "off" }\n'
    settings = parse_settings(text, "c.toml", state_dir=tmp_path)
    job = Job("1", "j", JobState.RUNNING, provider="lab")
    assert persist_mode(settings, job, "cpu-1") == "tmux"
    assert persist_mode(settings, job, "gpu-3") == "off"
    inventory = parse_settings('[providers.lab]\ntype = "inventory"\n', "c", state_dir=tmp_path)
    assert persist_mode(inventory, job, "n") == "auto"
    demo_section = parse_settings(PROVIDER, "c", state_dir=tmp_path)
    assert persist_mode(demo_section, job, "n") == "off", "a demo section: off unless set"
    demo = parse_settings("", "c", state_dir=tmp_path)
    assert persist_mode(demo, job, "master-0") == "off", "the built-in demo: off unless asked"
    on = parse_settings('[demo]\npersistent = "auto"\n', "c", state_dir=tmp_path)
    assert persist_mode(on, job, "master-0") == "auto"


def test_the_ledger_remembers_nodes_per_job(tmp_path: Path) -> None:
    ledger = SessionLedger(tmp_path)
    ledger.add("demo:1", "master-0", "cd-1-master-0-1")
    ledger.add("demo:1", "master-0", "cd-1-master-0-1")
    ledger.add("demo:2", "w", "cd-2-w-1")
    assert (tmp_path / "sessions.json").stat().st_mode & 0o777 == 0o600
    again = SessionLedger(tmp_path)
    assert again.jobs == {
        "demo:1": {"master-0": ["cd-1-master-0-1"]},
        "demo:2": {"w": ["cd-2-w-1"]},
    }
    again.retain(["demo:2"])
    again.remove("demo:2", "w", "cd-2-w-1")
    assert json.loads((tmp_path / "sessions.json").read_text())["jobs"] == {"demo:2": {"w": []}}
    (tmp_path / "sessions.json").write_text("{broken")
    assert SessionLedger(tmp_path).jobs == {}


def test_quitting_says_what_keeps_running() -> None:
    assert quit_question(0, 0, 0) is None
    assert quit_question(1, 0, 1) == (
        "1 persistent shell keeps running in tmux on the nodes;\nalt+s on the shells screen "
        "restores it at the next start.\nQuit clusterdeck?"
    )
    question = quit_question(3, 1, 2)
    assert question is not None
    assert question.startswith("1 shell and 1 tunnel are open; quitting closes them. 2 persistent")
    assert kept_message(2) == (
        "2 persistent shells keep running in tmux on the nodes; alt+s on the shells screen "
        "restores them at the next start."
    )


def test_a_slurm_node_reached_through_srun_gets_no_persistent_shell(tmp_path: Path) -> None:
    """A step's processes end with the step: tmux there would not survive a drop."""
    from tui.core.models import Node, NodeState, SshTarget
    from tui.core.providers.slurm.shell import NodeShellBackend, SrunRoute
    from tui.core.ssh.pool import SshPool

    pool = SshPool(known_hosts_paths=[tmp_path / "known_hosts"])
    node = Node("42", "node07", "compute", "10.1.0.7", 22, NodeState.RUNNING)
    target = SshTarget("10.1.0.7", 22, "ada")
    login = SrunRoute(SshTarget("login", 22, "ada"))
    assert NodeShellBackend(pool, target, node, policy="ssh").can_persist()
    assert NodeShellBackend(pool, target, node, policy="auto", srun=login).can_persist()
    assert not NodeShellBackend(pool, target, node, policy="srun", srun=login).can_persist()
    routed = NodeShellBackend(pool, target, node, policy="auto", srun=login)
    routed.set_command("tmux attach")
    assert routed.user_command == "tmux attach", "every route runs the attach command"
