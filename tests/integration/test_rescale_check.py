"""`clusterdeck rescale check` against the fake Rescale platform on loopback.

Each case runs the real command (`main([...])`, once as `python -m tui`) and asserts its exact
output and exit status: a key from RESCALE_API_KEY, a key file or Rescale's apiconfig; no key;
a wrong key (401); the network down; a 403; hostile text from the server; config errors.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tui.app.cli import main
from tui.core.providers.rescale.credentials import ENV_VAR, apiconfig_path

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = "Rescale (no rescale provider in the config; using Rescale's defaults)"


@pytest.fixture
def fake() -> Iterator[FakeRescale]:
    with running_fake() as server:
        server.add_job("cfd-wing")
        server.add_job("old", status="Completed")
        yield server


def write_config(tmp_path: Path, fake: FakeRescale, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.cloud]\ntype = "rescale"\nbase_url = "{fake.base_url}"\n{extra}')
    return path


def check(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """(exit status, stdout lines, stderr) of `clusterdeck rescale check ARGS`."""
    status = main(["rescale", "check", *args])
    out, err = capsys.readouterr()
    assert API_KEY not in out + err
    assert "\x1b" not in out + err
    return status, out.splitlines(), err


def ok_lines(title: str, fake: FakeRescale, source: str) -> list[str]:
    return [
        title,
        f"  platform:  {fake.base_url} (region custom)",
        f"  API key:   from {source}",
        "  user:      Ada Lovelace <ada@example.com>",
        "  jobs:      2 visible",
        "rescale check: OK",
    ]


def test_key_from_the_environment(
    tmp_path: Path,
    fake: FakeRescale,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    config = write_config(tmp_path, fake)
    status, lines, err = check("--config", str(config), capsys=capsys)
    assert (status, err) == (0, "")
    assert lines == ok_lines("[providers.cloud]", fake, f"the {ENV_VAR} environment variable")
    assert fake.seen("GET", r"^users/me/$") == 1 and fake.seen("GET", r"^jobs/$") == 1


def test_key_from_a_configured_key_file(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "rescale.key"
    key.write_text(API_KEY + "\n")
    key.chmod(0o600)
    config = write_config(tmp_path, fake, f'api_key_file = "{key}"\n')
    status, lines, _ = check("--config", str(config), capsys=capsys)
    assert status == 0
    assert lines == ok_lines("[providers.cloud]", fake, f"the api_key_file {key}")


def test_key_from_rescales_apiconfig_without_any_config(
    fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    path = apiconfig_path()
    path.parent.mkdir(parents=True)
    path.write_text(f"[default]\napibaseurl = {fake.base_url}\napikey = {API_KEY}\n")
    status, lines, _ = check(capsys=capsys)
    assert status == 0
    assert lines == ok_lines(DEFAULTS, fake, f"profile [default] of {path}")


def test_no_key_says_where_keys_are_read_from(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, fake)
    status, lines, err = check("--config", str(config), capsys=capsys)
    assert (status, err) == (1, "")
    assert lines == [
        "[providers.cloud]",
        f"  platform:  {fake.base_url} (region custom)",
        "  problem:   no API key found",
        "  keys are read from, in order:",
        f"    1. the {ENV_VAR} environment variable: not set",
        "    2. api_key_file in [providers.cloud]: not set",
        f"    3. {apiconfig_path()}, [default] apibaseurl and apikey: no such file",
        f"  make a key in Rescale under Settings > API ({fake.base_url}/user/settings/api-key/)",
        "  and put it in one of these (a key file must hold only the key, mode 0600)",
        "rescale check: problem found",
    ]
    assert fake.requests == []


def test_an_unusable_key_file_is_the_problem_and_the_sources_follow(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "rescale.key"
    key.write_text(API_KEY)
    key.chmod(0o644)
    apiconfig_path().parent.mkdir(parents=True)
    apiconfig_path().write_text("[default]\napibaseurl = https://eu.rescale.com\n")
    config = write_config(tmp_path, fake, f'api_key_file = "{key}"\n')
    status, lines, _ = check("--config", str(config), capsys=capsys)
    assert status == 1
    assert lines[2] == (
        f"  problem:   refusing the Rescale api_key_file {key}: its permissions are 0644, so other "
        f"users may read the key; run `chmod 600 {key}` (and consider making a new key)"
    )
    assert lines[4:7] == [
        f"    1. the {ENV_VAR} environment variable: not set",
        f"    2. api_key_file {key}: unusable, the problem above",
        f"    3. {apiconfig_path()}, [default] apibaseurl and apikey: "
        "apibaseurl = https://eu.rescale.com, no apikey",
    ]


def test_a_wrong_key_is_a_401(
    tmp_path: Path,
    fake: FakeRescale,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, "not-the-key")
    status, lines, _ = check("--config", str(write_config(tmp_path, fake)), capsys=capsys)
    assert status == 1
    assert lines == [
        "[providers.cloud]",
        f"  platform:  {fake.base_url} (region custom)",
        f"  API key:   from the {ENV_VAR} environment variable",
        "  problem:   Rescale rejected the API key (401: Invalid token.): it is wrong or expired, "
        "or for another platform (check `region`)",
        "  make a new key in Rescale under Settings > API "
        f"({fake.base_url}/user/settings/api-key/)",
        "rescale check: problem found",
    ]
    assert "not-the-key" not in "\n".join(lines)


def test_the_network_down_names_the_url_tried(
    tmp_path: Path,
    fake: FakeRescale,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    config = write_config(tmp_path, fake)
    fake.stop()
    status, lines, _ = check("--config", str(config), capsys=capsys)
    assert status == 1
    host = fake.base_url.removeprefix("http://")
    assert lines[3].startswith(f"  problem:   cannot reach Rescale at {host} (")
    assert lines[4:] == [
        f"  URL tried: {fake.base_url}/api/v2/users/me/",
        "rescale check: problem found",
    ]


def test_defaults_are_region_platform(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a rescale provider the key from the environment goes to platform.rescale.com.

    An HTTPS proxy on a closed loopback port stands in for the Internet, so nothing leaves.
    """
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv(ENV_VAR, API_KEY)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    status, lines, _ = check(capsys=capsys)
    assert status == 1
    assert lines[:3] == [
        DEFAULTS,
        "  platform:  https://platform.rescale.com (region platform)",
        f"  API key:   from the {ENV_VAR} environment variable",
    ]
    assert lines[4] == "  URL tried: https://platform.rescale.com/api/v2/users/me/"


def test_control_characters_from_the_server_are_shown_escaped(
    tmp_path: Path,
    fake: FakeRescale,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    config = str(write_config(tmp_path, fake))
    fake.world.user["fullName"] = "Ada \x1b[2J\x1b]0;owned\x07Lovelace\u202e\x9b"
    status, lines, _ = check("--config", config, capsys=capsys)
    assert status == 0
    assert (
        lines[3] == r"  user:      Ada \x1b[2J\x1b]0;owned\x07Lovelace\u202e\x9b <ada@example.com>"
    )
    fake.fail("GET", r"^users/me/$", 403, body={"detail": "no\x1b[31m way\nfake: line"})
    status, lines, _ = check("--config", config, capsys=capsys)
    assert status == 1
    assert lines[3] == (
        r"  problem:   Not allowed on Rescale: Rescale refused /api/v2/users/me/ "
        r"(403: no\x1b[31m way fake: line)"
    )


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        ('[providers.box]\ntype = "demo"\n', ["--provider", "box"], "{path}:1: [providers.box] "
         "is a demo provider, not rescale"),
        ('[providers.box]\ntype = "demo"\n', ["--provider", "nope"], "{path}: no provider "
         "named 'nope'; rescale providers: none"),
        ('[providers.r]\ntype = "rescale"\nbase_url = "http://example.com"\n', [],
         "{path}:3: [providers.r] base_url 'http://example.com' must use https (the API key is "
         "sent with it)"),
    ],
    ids=["another type", "unknown name", "bad base_url"],
)  # fmt: skip
def test_config_errors_exit_2(
    tmp_path: Path, config: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(config)
    status, lines, err = check("--config", str(path), *args, capsys=capsys)
    assert (status, lines) == (2, [])
    assert err == f"clusterdeck: {message.format(path=path)}\n"


def test_the_command_line_end_to_end(tmp_path: Path, fake: FakeRescale) -> None:
    config = write_config(tmp_path, fake)
    env = {**os.environ, ENV_VAR: API_KEY, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "tui", "rescale", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ok_lines(
        "[providers.cloud]", fake, f"the {ENV_VAR} environment variable"
    )
    env[ENV_VAR] = "wrong"
    wrong = subprocess.run(
        [sys.executable, "-m", "tui", "rescale", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert wrong.returncode == 1 and "(401: Invalid token.)" in wrong.stdout
