"""No dependency warnings on stderr: asyncssh's DSA deprecation is filtered, and only that."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_CONFIG = (
    '[providers.lab]\ntype = "inventory"\nclusters = [{ name = "c", nodes = ["10.0.0.5"] }]\n\n'
    '[providers.play]\ntype = "demo"\n'
)


def fresh_env(home: Path) -> dict[str, str]:
    """A new HOME and XDG dirs; nothing of clusterdeck's or Python's warning settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERDECK_", "XDG_"))}
    env.pop("PYTHONWARNINGS", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    return env


def python(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=fresh_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["--version"],
        ["config", "path"],
        ["config", "check", "--config", "good.toml"],
        ["tunnel", "--help"],
        ["serve", "--help"],
        ["rescale", "check", "--help"],
    ],
    ids=" ".join,
)
def test_commands_print_nothing_on_stderr(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "good.toml").write_text(GOOD_CONFIG)
    result = python("-m", "tui", *command, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout
    assert result.stderr == ""


def test_importing_the_ssh_layer_prints_nothing(tmp_path: Path) -> None:
    result = python("-c", "import tui.core.ssh, asyncssh", home=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_asyncssh_still_warns_without_the_filter(tmp_path: Path) -> None:
    """The warning is real (so the tests above prove the filter works), as of cryptography 51."""
    result = python("-W", "default", "-c", "import asyncssh", home=tmp_path)
    assert "CryptographyDeprecationWarning" in result.stderr


SCRIPT = """
import warnings
import tui.core.ssh
from cryptography.utils import CryptographyDeprecationWarning as Deprecated
warnings.warn("from this script", DeprecationWarning)
warnings.warn("cryptography elsewhere", Deprecated)
warnings.warn_explicit("in asyncssh", Deprecated, "x.py", 1, module="asyncssh.crypto.x")
warnings.warn_explicit("asyncssh look-alike", Deprecated, "y.py", 1, module="asyncsshx")
"""


def test_the_filter_is_narrow(tmp_path: Path) -> None:
    result = python("-c", SCRIPT, home=tmp_path)
    assert result.returncode == 0
    assert "DeprecationWarning: from this script" in result.stderr
    assert "CryptographyDeprecationWarning: cryptography elsewhere" in result.stderr
    assert "asyncssh look-alike" in result.stderr
    assert "in asyncssh" not in result.stderr
