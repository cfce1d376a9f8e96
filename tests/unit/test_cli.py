"""The command line: version, help, bad options, bad config and an unwritable state dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"clusterdeck {__version__}"


def test_help_lists_the_options() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--config", "--demo", "--version", "CLUSTERDECK_CONFIG"):
        assert option in result.stdout


def test_unknown_option_prints_usage_and_exits_2() -> None:
    result = run("--frobnicate")
    assert result.returncode == 2
    assert "usage: clusterdeck" in result.stderr
    assert "unrecognized arguments: --frobnicate" in result.stderr


def test_malformed_config_exits_2_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[ui]\nlog_max_lines = 'lots'\n")
    result = run("--config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(f"clusterdeck: {config}:2: [ui] log_max_lines must be")
    assert "Traceback" not in result.stderr


def test_config_from_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "env.toml"
    config.write_text("[nope]\n")
    result = run(env={"CLUSTERDECK_CONFIG": str(config)})
    assert result.returncode == 2
    assert f"{config}:1: unknown section [nope]" in result.stderr


def test_unwritable_state_dir_names_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("--demo", env={"CLUSTERDECK_STATE_DIR": str(blocker / "state")})
    assert result.returncode == 1
    assert f"cannot write to the state directory {blocker / 'state'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_provider_name_lists_the_configured_ones(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[providers.lab]\ntype = "demo"\n')
    result = run("--config", str(config), "--provider", "prod")
    assert result.returncode == 2
    assert "no provider named 'prod'; configured providers: lab" in result.stderr


def test_choose_provider_prefers_the_named_then_the_first_then_the_demo(tmp_path: Path) -> None:
    from tui.app.factory import choose_provider
    from tui.core.config.settings import Settings, parse_settings

    settings = parse_settings(
        '[providers.a]\ntype = "demo"\n[providers.b]\ntype = "demo"\nseed = 3\n',
        "c.toml",
        state_dir=tmp_path,
    )
    assert choose_provider(settings).name == "a"
    assert choose_provider(settings, "b").options == {"seed": 3}
    assert choose_provider(settings, "demo").type == "demo"
    assert choose_provider(Settings(state_dir=tmp_path)).name == "demo"
