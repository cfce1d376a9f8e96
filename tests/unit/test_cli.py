"""The command line: subcommands and their help, one error mapping, bad config, the state dir."""

from __future__ import annotations

import contextlib
import functools
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __version__
from tui.app.cli import build_parser, main
from tui.app.commands.exits import run_reporting
from tui.core.errors import ConfigError, ProviderError


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


# --- subcommands -------------------------------------------------------------------------------

COMMANDS = ("init", "config", "tunnel", "serve", "get", "put", "watch", "rescale")


def test_help_lists_every_command_and_each_has_its_own_help() -> None:
    top = run("--help")
    assert top.returncode == 0 and top.stderr == ""
    listed = re.findall(r"^    (\w+) ", top.stdout, re.M)
    assert listed == list(COMMANDS)
    for command, words in [
        (["init"], ["--config PATH"]),
        (["config"], ["check", "path"]),
        (["config", "check"], ["--config PATH"]),
        (["config", "path"], ["--config PATH"]),
        (["tunnel"], ["--job JOB", "-L [BIND:]PORT:HOST:HOSTPORT", "-D [BIND:]PORT"]),
        (["serve"], ["--host HOST", "--port PORT", "--demo"]),
        (["rescale"], ["check"]),
        (["rescale", "check"], ["--config PATH", "--provider NAME"]),
        (["get"], ["JOB[:NODE]:REMOTE", "--conflict", "--verify", "--api", "130 interrupted"]),
        (["put"], ["LOCAL", "JOB[:NODE]:REMOTE", "--api"]),
        (["watch"], ["JOB[:NODE]", "--remote PATH", "--interval S"]),
    ]:
        result = main_output([*command, "--help"])
        assert result.startswith(f"usage: clusterdeck {' '.join(command)} "), command
        for word in words:
            assert word in result, (command, word)


def main_output(argv: list[str]) -> str:
    """What `main(argv)` prints before exiting 0 (for --help)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    return out.getvalue()


def test_the_console_script_is_the_same_command() -> None:
    script = Path(sys.executable).with_name("clusterdeck")
    assert script.is_file(), "pip install -e . puts the console script next to python"
    for args in (["--help"], ["--version"], ["rescale", "--help"]):
        direct = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert (direct.returncode, direct.stdout, direct.stderr) == (
            0,
            run(*args).stdout,
            "",
        )


def test_options_go_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[providers.lab]\ntype = "demo"\n')
    assert main(["--config", str(config), "config", "check"]) == 0
    before = capsys.readouterr().out
    assert main(["config", "check", "--config", str(config)]) == 0
    shown = "the app shows lab (the demo cluster only with --demo)"
    assert capsys.readouterr().out == before == f"config OK: 1 provider: lab (demo); {shown}\n"


BAD_CONFIG = "[ui]\nlog_max_lines = 'lots'\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve", "--port", "0"],
        ["tunnel", "--job", "j", "-L", "0:localhost:1"],
        ["rescale", "check"],
    ],
    ids=["dashboard", "serve", "tunnel", "rescale check"],
)
def test_every_command_reports_a_config_error_alike(tmp_path: Path, command: list[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(BAD_CONFIG)
    result = run(*command, "--config", str(config))
    assert result.returncode == 2
    assert result.stderr == (
        f"clusterdeck: {config}:2: [ui] log_max_lines must be a whole number from 1000 to "
        "10000000 (got 'lots')\n"
    )
    assert result.stdout == ""


def test_serve_and_tunnel_report_an_unwritable_state_dir_like_the_dashboard(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {"CLUSTERDECK_STATE_DIR": str(blocker / "state")}
    for command in (["--demo"], ["serve", "--demo", "--port", "0"]):
        result = run(*command, env=env)
        assert result.returncode == 1, command
        assert result.stderr.startswith(
            "clusterdeck: State directory not writable: cannot write to the state directory "
            f"{blocker / 'state'}"
        ), command


def test_serve_checks_the_config_without_building_an_app(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[providers.lab]\ntype = "inventory"\nclusters = [{ name = "c" }]\n')
    script = (
        "import sys\nfrom tui.app.cli import main\n"
        f"status = main(['serve', '--config', {str(config)!r}])\n"
        "print(status, 'tui.app.app' in sys.modules, 'textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout == "2 False False\n"
    assert result.stderr.startswith(
        f'clusterdeck: {config}:3: [providers.lab] cluster "c": needs `nodes = [...]`'
    )


def test_tunnel_argument_errors_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["tunnel", "--job", "j"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: clusterdeck tunnel ")
    assert err.endswith(
        "clusterdeck tunnel: error: nothing to forward: give at least one -L or -D\n"
    )


def test_the_error_mapping() -> None:
    def raising(exc: BaseException) -> int:
        raise exc

    cases = [
        (ConfigError("bad value", path="c.toml", line=3), 2, "clusterdeck: c.toml:3: bad value\n"),
        (ProviderError("it broke"), 1, "clusterdeck: Provider error: it broke\n"),
        (KeyboardInterrupt(), 130, ""),
    ]
    for exc, status, message in cases:
        err = io.StringIO()
        assert run_reporting(functools.partial(raising, exc), err=err) == status
        assert err.getvalue() == message
    with pytest.raises(ValueError, match="a bug"):
        run_reporting(lambda: raising(ValueError("a bug")))


def test_an_array_of_providers_at_start_up_gets_its_line_and_the_right_form(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[ui]\ntheme = "gruvbox"\n\n[[providers]]\nname = "uni"\ntype = "slurm"\n')
    result = run("--config", str(config))
    assert result.returncode == 2
    assert result.stderr == (
        f"clusterdeck: {config}:4: [[providers]] is a list of tables, not how providers are "
        'written: give each provider its own section [providers.NAME] with `type = "..."`; '
        "here [providers.uni] (the name goes in the header, not in a `name` key) and below it "
        'type = "slurm"\n'
    )


README_COMMANDS = {
    "clusterdeck serve [--host 127.0.0.1] [--port 8000] [--config PATH] [--provider NAME] "
    "[--demo]": "_serve",
    "clusterdeck tunnel --job J --node N -L 8888:localhost:8888": "_tunnel",
    "clusterdeck init [--config PATH]": "_init",
    "clusterdeck config check [--config PATH]": "_config_check",
    "clusterdeck config path [--config PATH]": "_config_path",
    "clusterdeck [--config PATH] [--provider NAME] [--demo]": "_dashboard",
    "clusterdeck rescale check [--config PATH] [--provider NAME]": "_rescale_check",
}


def test_the_readme_command_lines_parse() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    prose = " ".join(readme.split())
    for line, command in README_COMMANDS.items():
        assert line in prose or line in readme, line
        argv = line.replace("[", "").replace("]", "").split()[1:]
        args = build_parser().parse_args(argv)
        assert args.run.__name__ == command, line
        assert args.config == Path("PATH") if "--config" in argv else args.config is None
    dynamic = build_parser().parse_args(["tunnel", "--job", "J", "--node", "N", "-D", "1080"])
    assert dynamic.dynamic == ["1080"] and dynamic.provider is None
