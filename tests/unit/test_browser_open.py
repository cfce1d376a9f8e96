"""`open_in_browser` says whether the browser took the URL, and why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.screens.tunnels.browser import open_in_browser

URL = "http://127.0.0.1:8888/?token=abc"


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("BROWSER", raising=False)
    return folder


def program(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_no_display_no_browser(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    program(bin_dir, "xdg-open", "exit 0")
    assert open_in_browser(URL) == (
        "no graphical display here (DISPLAY and WAYLAND_DISPLAY are not set)"
    )


def test_no_opener_installed(bin_dir: Path) -> None:
    assert open_in_browser(URL) == "no browser command found (install xdg-utils, or set BROWSER)"


def test_an_opener_still_running_after_the_grace_counts_as_opened(bin_dir: Path) -> None:
    program(bin_dir, "xdg-open", "exec /bin/sleep 5")
    assert open_in_browser(URL, grace=0.2) is None


def test_browser_variable_with_a_placeholder(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "seen"
    program(bin_dir, "mybrowser", f'echo "$2" > {seen}\nexit 0')
    monkeypatch.setenv("BROWSER", "nosuch:mybrowser --new-tab %s")
    assert open_in_browser(URL) is None
    assert seen.read_text().strip() == URL


def test_a_failing_browser_variable_says_why(
    bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program(bin_dir, "broken", "echo 'cannot connect to display' >&2\nexit 1")
    monkeypatch.setenv("BROWSER", "broken")
    assert open_in_browser(URL) == "broken exited with status 1: cannot connect to display"
