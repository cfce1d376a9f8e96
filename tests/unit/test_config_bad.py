"""Bad configs: `config check` reports each problem with its line and fix, and all of them at once.

Each case is checked with `check_text` (the collecting checker behind `clusterdeck config check`);
those the loader itself sees are also checked with `parse_settings`, which stops at the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

import tui.core.config.check
import tui.core.config.providers
from tui.core.config.check import check_text
from tui.core.config.settings import parse_settings
from tui.core.errors import ConfigError
from tui.core.providers.base import Option, Provider, ProviderContext, provider_class

INVENTORY = '[providers.lab]\ntype = "inventory"\n'

# (config text, line of the problem, part of the message, also stops parse_settings?)
BAD: list[tuple[str, int, str, bool]] = [
    (
        '[providers.lab]\ntype = "demo"\n\n[providers.lab]\ntype = "slurm"\n',
        4,
        "provider name 'lab' is used twice (first at line 1); each [providers.NAME] section "
        "needs its own NAME",
        True,
    ),
    (
        '[providers.x]\ntype = "nope"\n',
        2,
        "[providers.x] unknown provider type 'nope'; installed provider types: demo, inventory",
        True,
    ),
    ('[demo]\nseed = 2\n\n[providers.x]\nhost = "h"\n', 4, 'needs `type = "..."`', True),
    (
        INVENTORY + '\n[[providers.lab.clusters]]\nname = "lab"\nlog_command = "true"\n',
        5,
        '[providers.lab] cluster "lab": needs `nodes = [...]` (at least one node',
        False,
    ),
    (
        INVENTORY + 'clusters = [\n  { name = "a", nodes = ["h1"] },\n'
        '  { name = "b", nodes = [{ name = "n1", port = 22 }] },\n]\n',
        5,
        '[providers.lab] cluster "b", node "n1": needs `host = "..."`',
        False,
    ),
    ('[ui]\n# speed\npoll_interval = "fast"\n', 3, "[ui] poll_interval must be a number", True),
    (
        INVENTORY + 'probe = "yes"\nssh_config = true\n',  # else "has no clusters" as well
        3,
        "[providers.lab] probe must be true or false (see if each node's SSH server answers",
        True,
    ),
    (INVENTORY + 'clusters = "lab"\n', 3, "[providers.lab] clusters must be a list", True),
    (
        INVENTORY + "ssh_config = true\nprob = false\n",
        4,
        "unknown key 'prob' for a inventory provider in [providers.lab]; known keys: clusters,",
        True,
    ),
    (
        '[providers.uni]\ntype = "slurm"\nhost = "login"\nssh_alias = "hpc"\n',
        3,
        "[providers.uni] give either `host` or `ssh_alias` (not both)",
        False,
    ),
    (
        INVENTORY + 'clusters = [{ name = "lab", nodes = [\n'
        '    { name = "gpu1", host = "10.1.2.3" },\n'
        '    { name = "gpu2", host = "10.1.2.4", port = 70000 },\n]}]\n',
        5,
        'cluster "lab", node "gpu2": `port` must be a whole number from 1 to 65535 (got 70000)',
        False,
    ),
    ('[providers.x]\ntype = "demo"\ntype = "slurm"\n', 3, "`type` is set twice", True),
    (
        INVENTORY + 'clusters = [\n  { name = "a", nodes = ["h"] },\n\n[ui]\ntheme = "x"\n',
        3,
        "not valid TOML: Invalid value at line 6, in the value that starts here (a missing ]",
        False,  # the loader says line 6, where tomllib noticed
    ),
    (
        INVENTORY + '\n[[providers.lab.clusters]]\nname = "c"\nkey = "~/.ssh/nope"\n'
        'nodes = ["h"]\n',
        6,
        '[providers.lab] cluster "c": `key` ',
        False,
    ),
    (
        '[providers.r]\ntype = "rescale"\nregion = "mars"\n',
        3,
        "[providers.r] region must be one of platform",
        True,
    ),
    (
        '[providers.r]\ntype = "rescale"\ntail_lines = 5\n',
        3,
        "[providers.r] tail_lines must be between 10 and 2000 (got 5)",
        False,
    ),
    (
        INVENTORY + '\n[[providers.lab.clusters]]\nname = "c"\nnodes = ["h"]\n\n'
        '[[providers.lab.clusters]]\nname = "c"\nnodes = ["g"]\n',
        9,
        '[providers.lab] cluster "c": is defined twice; give each cluster its own `name`',
        False,
    ),
    (
        INVENTORY + 'jump = "ada@login:port"\nclusters = [{ name = "c", nodes = ["h"] }]\n',
        3,
        '[providers.lab] `jump` must be "[user@]host[:port]"',
        False,
    ),
    (INVENTORY, 2, "[providers.lab] has no clusters: add `clusters = [...]`", False),
    ("[ui\ntheme = 1\n", 1, "not valid TOML: Expected ']' at the end of a table", True),
    ('[clipboard]\nbackend = "x11"\n', 2, "[clipboard] backend must be one of auto", True),
    (
        '[providers.uni]\ntype = "slurm"\nhost = "login"\nnode_shell = "mosh"\n',
        4,
        "[providers.uni] node_shell must be one of auto, ssh, srun",
        True,
    ),
]


@pytest.mark.parametrize(("text", "line", "message", "loader"), BAD)
def test_each_bad_config_is_reported_once_with_line_and_fix(
    text: str, line: int, message: str, loader: bool, tmp_path: Path
) -> None:
    report = check_text(text, "/etc/cd.toml", state_dir=tmp_path)
    assert [str(p) for p in report.problems] == [
        next(str(p) for p in report.problems if message in str(p))
    ], "exactly one problem, with the message"
    [problem] = report.problems
    assert problem.line == line, str(problem)
    assert str(problem).startswith(f"/etc/cd.toml:{line}: ")
    if loader:
        with pytest.raises(ConfigError) as caught:
            parse_settings(text, "/etc/cd.toml")
        assert caught.value.line == line


def test_an_unreadable_include_of_the_ssh_config(isolated_home: Path, tmp_path: Path) -> None:
    ssh = isolated_home / ".ssh"
    (ssh / "conf.d").mkdir(parents=True)
    (ssh / "config").write_text("Host a\nInclude conf.d\n")
    report = check_text(INVENTORY + "# all my hosts\nssh_config = true\n", "c.toml")
    [problem] = report.problems
    assert problem.line == 4
    assert f"included from {ssh / 'config'}:2) is a directory; fix or remove that Include" in str(
        problem
    )


class Exploding(Provider):
    """A third-party provider whose set-up crashes."""

    OPTIONS: ClassVar[Mapping[str, Option]] = {"size": Option(int, required=True, help="how big")}

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> Provider:
        raise RuntimeError("boom")


def test_a_provider_whose_set_up_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def lookup(kind: str) -> type[Provider]:
        return Exploding if kind == "exploding" else provider_class(kind)

    monkeypatch.setattr(tui.core.config.providers, "provider_class", lookup)
    monkeypatch.setattr(tui.core.config.check, "provider_class", lookup)
    text = '[demo]\nseed = 3\n\n[providers.big]\ntype = "exploding"\nsize = 3\n'
    [problem] = check_text(text, "c.toml", state_dir=tmp_path).problems
    assert str(problem) == (
        "c.toml:4: [providers.big] could not be set up: boom (RuntimeError); fix this section"
    )
    missing = '[providers.big]\ntype = "exploding"\n'
    [problem] = check_text(missing, "c.toml", state_dir=tmp_path).problems
    assert str(problem) == "c.toml:1: [providers.big] is missing the required key `size`: how big"


def test_every_problem_of_one_file_is_reported(tmp_path: Path, isolated_home: Path) -> None:
    text = """\
[ui]
log_max_lines = "many"
colour = "red"

[demo]
enabled = "yes"

[rescue]
x = 1

[providers.lab]
type = "inventory"
port = 0

[[providers.lab.clusters]]
name = "lab"
nodes = [
  { name = "gpu1", host = "10.1.2.3", port = 70000 },
  { name = "gpu2", host = "10.1.2.4", tags = "gpu" },
]

[providers.uni]
type = "slurm"
host = "login"
ssh_alias = "hpc"

[providers.nope]
type = "nope"

[providers.lab]
type = "demo"

[providers.fine]
type = "demo"
"""
    report = check_text(text, "c.toml", state_dir=tmp_path)
    found = [(p.line, str(p).split(": ", 1)[1][:40]) for p in report.problems]
    assert found == [
        (2, "[ui] log_max_lines must be a whole numbe"),
        (3, "unknown key 'colour' in [ui]; known keys"),
        (6, "[demo] enabled must be true or false (go"),
        (8, "unknown section [rescue]; known sections"),
        (13, "[providers.lab] `port` must be a whole n"),
        (18, '[providers.lab] cluster "lab", node "gpu'),
        (19, '[providers.lab] cluster "lab", node "gpu'),
        (24, "[providers.uni] give either `host` or `s"),
        (28, "[providers.nope] unknown provider type '"),
        (30, "provider name 'lab' is used twice (first"),
    ]
    assert not report.stopped
    assert report.settings is not None
    assert [p.name for p in report.settings.providers] == ["lab", "uni", "fine"]


def test_a_good_config_has_no_problems(tmp_path: Path) -> None:
    text = INVENTORY + 'clusters = [{ name = "c", nodes = ["h"] }]\n\n[ui]\ntheme = "nord"\n'
    report = check_text(text, "c.toml", state_dir=tmp_path)
    assert report.problems == [] and report.settings is not None
