"""Shared test set-up: isolation from the developer's machine, app factory, waiting helpers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.ci_strict import IN_CI, pytest_runtest_makereport  # noqa: F401 - hook: skips fail in CI
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.core.clock import ManualClock
from tui.core.config.settings import DemoSettings, Settings

POLL_SECONDS = 0.005
"""How often `wait_until` re-checks its condition."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        default=False,
        help="rewrite screenshots/*.svg from the current UI",
    )


def _isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """HOME and the XDG dirs under `home`; none of the developer's clusterdeck, SSH agent,
    Rescale key or display variables."""
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in list(os.environ):
        if var.startswith("CLUSTERDECK_") or var in {
            "SSH_AUTH_SOCK",
            "RESCALE_API_KEY",
            "DISPLAY",
            "WAYLAND_DISPLAY",
        }:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SHELL", "/bin/sh")


@pytest.fixture(autouse=True, scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same isolation for fixtures wider than a test, which start before `isolated_home`:
    a module's Chromium wrote ~/.config/chromium and ~/.cache/dconf in the real home."""
    home = tmp_path_factory.mktemp("session-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, home)
        yield home


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME and the XDG dirs at a temporary directory; clear clusterdeck's env vars."""
    home = tmp_path / "home"
    home.mkdir()
    _isolate(monkeypatch, home)
    yield home


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(state_dir: Path) -> Settings:
    return Settings(state_dir=state_dir, demo=DemoSettings(seed=1), poll_interval=3600)


async def wait_until(
    predicate: Callable[[], object],
    *,
    within: float = 10.0,
    pause: Callable[[], object] | None = None,
    what: str = "condition",
) -> None:
    """Poll `predicate` until it is true, yielding to the event loop; fail after `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        if pause is not None:
            result = pause()
            if asyncio.iscoroutine(result):
                await result
        else:
            await asyncio.sleep(0)
        await asyncio.sleep(POLL_SECONDS)


def require_binary(path: str) -> None:
    """Skip outside CI when a system binary is missing; in CI, fail loudly instead."""
    import shutil

    if shutil.which(path) is None:
        message = f"{path} is not installed (the README's test command installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def app_factory(settings: Settings, clock: ManualClock) -> Callable[..., ClusterdeckApp]:
    """Build the real app (via `make_app`) on the demo provider with the manual clock."""

    def build(**overrides: Any) -> ClusterdeckApp:
        app = make_app(replace(settings, **overrides), clock=clock)
        app.animation_level = "none"
        return app

    return build
