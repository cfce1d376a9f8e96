"""`clusterdeck init`, `config check` and `config path` end to end in a temporary HOME."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.app.cli import main
from tui.app.commands.config import demo_key_path
from tui.core.clock import ManualClock
from tui.core.config.settings import _SCHEMA, default_config_path, load_settings
from tui.core.config.template import STARTER_CONFIG
from tui.core.providers.base import ProviderContext, provider_class
from tui.core.providers.demo.provider import DemoProvider

EXAMPLE = re.compile(r"^# (\[|[\w-]+ = |\s+[{\"]|\])")


def uncomment(text: str) -> str:
    """Every commented-out setting of the template turned on."""
    return "\n".join(line[2:] if EXAMPLE.match(line) else line for line in text.splitlines()) + "\n"


def test_init_writes_a_starter_config_that_loads(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    path = default_config_path()
    assert path.is_relative_to(isolated_home) and path.read_text() == STARTER_CONFIG
    out = capsys.readouterr().out
    assert f"wrote a starter config to {path}" in out and "clusterdeck config check" in out
    settings = load_settings(path, state_dir=isolated_home / "state")
    assert settings.demo.enabled and settings.providers == ()


def test_init_refuses_to_overwrite(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = isolated_home / "mine.toml"
    path.write_text("[demo]\nseed = 9\n")
    assert main(["init", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"clusterdeck init: {path} already exists; not overwriting it." in err
    assert path.read_text() == "[demo]\nseed = 9\n"


def test_init_honours_the_environment_variable(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = isolated_home / "elsewhere" / "cd.toml"
    monkeypatch.setenv("CLUSTERDECK_CONFIG", str(target))
    assert main(["init"]) == 0
    assert target.read_text() == STARTER_CONFIG


def test_every_commented_example_is_valid(isolated_home: Path, tmp_path: Path) -> None:
    (isolated_home / ".ssh").mkdir()
    (isolated_home / ".ssh" / "id_ed25519").write_text("key\n")
    text = uncomment(STARTER_CONFIG)
    path = tmp_path / "all.toml"
    path.write_text(text)
    settings = load_settings(path, state_dir=tmp_path)
    assert [p.type for p in settings.providers] == ["slurm", "rescale", "inventory"]
    assert settings.theme == "textual-dark" and settings.keymap["focus-log"] == "L"
    inventory = settings.providers[2]
    context = ProviderContext(tmp_path, tmp_path / "kh", ManualClock(), inventory.name)
    provider = provider_class("inventory").create(inventory.options, context)
    assert provider.name == "machines"


def test_the_template_documents_every_key() -> None:
    text = uncomment(STARTER_CONFIG)
    for section, checks in _SCHEMA.items():
        assert f"[{section}]" in text or section == "providers"
        for key in checks or {}:
            assert re.search(rf"^{key} = ", text, re.M), f"[{section}] {key}"
    for kind in ("slurm", "rescale", "inventory"):
        for key in provider_class(kind).OPTIONS:
            documented = f"{key} = " in STARTER_CONFIG or f".{key}]]" in text
            assert documented, f"{kind} {key}"
    for key in ("name", "nodes", "log_command", "log_node", "jump", "host", "tags", "user"):
        assert f"{key} =" in text, key


def test_check_a_good_config(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out == "config OK: 0 providers; the app shows the demo cluster\n"
    path = isolated_home / "two.toml"
    path.write_text(
        '[providers.lab]\ntype = "inventory"\nclusters = [{ name = "c", nodes = ["h"] }]\n\n'
        '[providers.play]\ntype = "demo"\n\n[demo]\nenabled = false\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 0
    assert capsys.readouterr().out == (
        "config OK: 2 providers: lab (inventory), play (demo); the app shows both "
        "(the demo cluster only with --demo)\n"
    )


def test_check_says_what_the_app_will_show(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "one.toml"
    path.write_text(
        '[providers.lab]\ntype = "inventory"\nclusters = [{ name = "c", nodes = ["h"] }]\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == (
        "config OK: 1 provider: lab (inventory); the app shows lab "
        "(the demo cluster only with --demo)\n"
    )
    assert "demo on" not in out
    path.write_text("[demo]\nenabled = false\n")  # nothing to show: the app would not start
    assert main(["config", "check", "--config", str(path)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: no provider is enabled; add a [providers.NAME] section or set "
        "`enabled = true` under [demo]",
        f"1 problem in {path}",
    ]


def test_check_prints_every_problem(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "bad.toml"
    path.write_text(
        '[ui]\npoll_interval = "fast"\n\n[providers.lab]\ntype = "inventory"\n'
        'clusters = [{ name = "c", nodes = [{ host = "h", port = 0 }] }]\n'
        '\n[providers.x]\ntype = "nope"\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:2: [ui] poll_interval must be a number from 0.2 to 3600 (got 'fast')",
        f'{path}:6: [providers.lab] cluster "c", node "h": `port` must be a whole number '
        "from 1 to 65535 (got 0)",
        f"{path}:9: [providers.x] unknown provider type 'nope'; installed provider types: "
        "demo, inventory, rescale, slurm",
        f"3 problems in {path}",
    ]


def test_check_without_a_config_file(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "no config file here; create one with `clusterdeck init`" in err


def test_path_says_where_files_live(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["config", "path"]) == 0
    out = capsys.readouterr().out
    state = isolated_home / ".local" / "state" / "clusterdeck"
    assert (
        f"config file:  {default_config_path()}  (not created yet: run `clusterdeck init`)" in out
    )
    assert f"state dir:    {state}\n" in out
    assert f"known_hosts:  {state / 'known_hosts'}  (and ~/.ssh/known_hosts)" in out
    assert f"demo key:     {state / 'demo' / 'id_ed25519'}\n" in out
    assert f"ssh config:   {isolated_home / '.ssh' / 'config'}\n" in out
    demo = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    assert demo_key_path(state) == demo.key_path
    mine = tmp_path / "mine.toml"
    mine.write_text("")
    assert main(["config", "path", "--config", str(mine)]) == 0
    assert f"config file:  {mine} (from --config)\n" in capsys.readouterr().out


def test_config_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["config"])
    assert caught.value.code == 2
    assert "{check,path}" in capsys.readouterr().err


def test_check_names_the_line_of_an_array_of_providers(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "aot.toml"
    path.write_text(
        '[demo]\nseed = 2\n\n[[providers]]\ntype = "slurm"\nhost = "login"\n\n'
        '[[providers]]\nname = "b"\ntype = "demo"\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 2
    form = (
        "[[providers]] is a list of tables, not how providers are written: give each provider "
        'its own section [providers.NAME] with `type = "..."`; '
    )
    assert capsys.readouterr().out.splitlines() == [
        f'{path}:4: {form}for example [providers.uni] and below it type = "slurm"',
        f"{path}:8: {form}here [providers.b] (the name goes in the header, not in a `name` key) "
        'and below it type = "demo"',
        f"2 problems in {path}",
    ]
