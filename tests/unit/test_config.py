"""The config file: good values load, every bad one stops with `file:line: what, how to fix`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.config.settings import ensure_state_dir, load_settings, parse_settings
from tui.core.errors import ConfigError, StateDirError

GOOD = """\
[ui]
theme = "gruvbox"
log_max_lines = 5000
poll_interval = 1.5

[demo]
seed = 7
speed = 2

[keys]
focus-log = "L"
quit = "ctrl+q,q"
"""


def test_good_config_loads_every_value(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    settings = load_settings(path, state_dir=tmp_path)
    assert settings.theme == "gruvbox"
    assert settings.log_max_lines == 5000
    assert settings.poll_interval == 1.5
    assert settings.demo.seed == 7 and settings.demo.speed == 2.0 and settings.demo.enabled
    assert settings.keymap == {"focus-log": "L", "quit": "ctrl+q,q"}
    assert settings.config_path == path
    assert settings.known_hosts_path == tmp_path / "known_hosts"


def test_empty_config_gives_defaults(tmp_path: Path) -> None:
    settings = parse_settings("", "c.toml", state_dir=tmp_path)
    assert settings.log_max_lines == 100_000
    assert settings.demo.enabled is True


BAD = [
    ("[ui\ntheme = 1\n", 1, "not valid TOML"),
    ('[ui]\ntheme = "a"\ntheme = "b"\n', 3, "`theme` is set twice in the same section"),
    ('[ui]\n\n\nlog_max_lines = "many"\n', 4, "[ui] log_max_lines must be a whole number"),
    ("[ui]\nlog_max_lines = 5\n", 2, "must be from 1000 to 10000000"),
    ("[ui]\npoll_interval = true\n", 2, "[ui] poll_interval must be a number"),
    ('[ui]\ncolour = "red"\n', 2, "unknown key 'colour' in [ui]; known keys: confirm_quit,"),
    ('[demo]\nenabled = "yes"\n', 2, "[demo] enabled must be true or false"),
    ("# comment\n[rescue]\nx = 1\n", 2, "unknown section [rescue]; known sections are [ui]"),
    ("[keys]\nquit = 3\n", 2, "[keys] quit must be a key name"),
    ('[ui]\ntheme = ""\n', 2, "[ui] theme must be a non-empty string"),
    ("ui = 3\n", 1, "'ui' must be a section like [ui]"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_config_names_file_line_and_fix(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "/etc/cd.toml")
    error = caught.value
    assert error.line == line
    assert str(error).startswith(f"/etc/cd.toml:{line}: ")
    assert message in str(error)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found; create it"):
        load_settings(tmp_path / "nope.toml")


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_settings(path)


def test_state_dir_not_writable_names_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateDirError, match=str(blocker / "state")):
        ensure_state_dir(blocker / "state")


def test_state_dir_is_private(tmp_path: Path) -> None:
    path = ensure_state_dir(tmp_path / "s")
    assert path.stat().st_mode & 0o777 == 0o700


PROVIDERS = """\
[providers.lab]
type = "demo"
seed = 4
speed = 2

[providers.other]
type = "demo"
"""


def test_provider_sections_are_validated_and_kept_in_order(tmp_path: Path) -> None:
    settings = parse_settings(PROVIDERS, "p.toml", state_dir=tmp_path)
    assert [(p.name, p.type, p.line) for p in settings.providers] == [
        ("lab", "demo", 1),
        ("other", "demo", 6),
    ]
    assert settings.providers[0].options == {"seed": 4, "speed": 2}


BAD_PROVIDERS = [
    ("[providers.x]\nseed = 1\n", 1, '[providers.x] needs `type = "..."`'),
    ('[providers.x]\ntype = "nope"\n', 2, "unknown provider type 'nope'"),
    ('[providers.x]\ntype = "demo"\ncolour = 1\n', 3, "unknown key 'colour' for a demo"),
    ('[providers.x]\ntype = "demo"\nseed = "one"\n', 3, "[providers.x] seed must be a whole"),
    ('[providers.x]\ntype = "demo"\nspeed = true\n', 3, "[providers.x] speed must be a number"),
    ("[providers]\nx = 3\n", 2, "[providers.x] must be a section with a `type` key"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_PROVIDERS)
def test_bad_provider_sections(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "p.toml")
    assert caught.value.line == line
    assert message in str(caught.value)


def test_recording_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = parse_settings('[recording]\nfolder = "~/casts"\ninput = true\n', "c.toml")
    assert settings.recordings_dir == tmp_path / "casts" and settings.record_input
    default = parse_settings("", "c.toml", state_dir=tmp_path / "state")
    assert default.recordings_dir == tmp_path / "state" / "recordings"
    assert not default.record_input
    with pytest.raises(ConfigError) as bad:
        parse_settings('[recording]\nfolder = "x"\ninput = "yes"\n', "c.toml")
    assert bad.value.line == 3 and "[recording] input must be true or false" in str(bad.value)
