"""The config file is read with bounds: devices, FIFOs, directories and huge files are refused.

The hang cases run the real command line in a child process with a memory limit and a timeout,
so a regression fails the test instead of eating the machine's memory or blocking for ever.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tui.app.commands.config import run_config_command
from tui.core.config.readfile import MAX_CONFIG_BYTES
from tui.core.config.settings import load_settings
from tui.core.errors import ConfigError

MAIN = "import sys; from tui.app.cli import main; sys.exit(main(sys.argv[1:]))"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))


def clusterdeck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child (1.5 GB address space, 60 s at most)."""
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        preexec_fn=_limit_memory,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("command", [["config", "check"], []])
def test_dev_zero_is_refused_by_config_check_and_at_start_up(
    isolated_home: Path, command: list[str]
) -> None:
    done = clusterdeck(*command, "--config", "/dev/zero")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "/dev/zero: is a device, not a regular file; point --config" in done.stderr


def test_a_fifo_named_by_the_environment_is_refused_without_waiting_for_a_writer(
    isolated_home: Path,
) -> None:
    fifo = isolated_home / "config.fifo"
    os.mkfifo(fifo)
    done = clusterdeck("config", "check", env={"CLUSTERDECK_CONFIG": str(fifo)})
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{fifo}: is a pipe (FIFO), not a regular file" in done.stderr


def test_a_file_over_one_megabyte_is_refused(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = isolated_home / "big.toml"
    big.write_text("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match=r"is larger than 1,024 KB \(1,048,580 bytes\)"):
        load_settings(big)
    assert run_config_command(["check", "--config", str(big)]) == 2
    assert f"{big}: is larger than 1,024 KB" in capsys.readouterr().err


def test_a_directory_is_refused(isolated_home: Path) -> None:
    with pytest.raises(ConfigError, match=r": is a directory, not a regular file"):
        load_settings(isolated_home)


def test_a_file_just_under_the_limit_still_loads(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "padded.toml"
    body = "[demo]\nseed = 3\n"
    path.write_text("#" * (MAX_CONFIG_BYTES - len(body) - 1) + "\n" + body)
    assert path.stat().st_size == MAX_CONFIG_BYTES
    assert load_settings(path).demo.seed == 3
    assert run_config_command(["check", "--config", str(path)]) == 0
    assert "config OK" in capsys.readouterr().out
