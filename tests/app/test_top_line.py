"""The top line says why the demo is shown and keeps the clipboard status in view."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.apphelpers import screen_lines, settle_dashboard
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.core.clock import ManualClock
from tui.core.config.settings import Settings, load_settings


async def top_row(app: ClusterdeckApp, pilot: Pilot[None]) -> str:
    await settle_dashboard(app, pilot)
    return screen_lines(app)[0]


def configured(tmp_path: Path, settings: Settings, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    loaded = load_settings(path, state_dir=settings.state_dir)
    return replace(loaded, poll_interval=settings.poll_interval)


@pytest.mark.parametrize("width", [120, 80])
async def test_no_config_file(settings: Settings, clock: ManualClock, width: int) -> None:
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(width, 36)) as pilot:
        row = await top_row(app, pilot)
    assert row.startswith(" Demo cluster (no config file): `clusterdeck init` makes one")
    assert row.rstrip().endswith(f"clipboard: {app.bridge.short_description}")
    assert "no config yet" not in row


@pytest.mark.parametrize("width", [120, 80])
async def test_a_config_file_with_no_providers(
    tmp_path: Path, settings: Settings, clock: ManualClock, width: int
) -> None:
    app = make_app(configured(tmp_path, settings, "[demo]\nseed = 1\n"), clock=clock)
    async with app.run_test(size=(width, 36)) as pilot:
        row = await top_row(app, pilot)
    assert row.startswith(" Demo cluster (config.toml has no [providers.NAME] section)")
    assert row.rstrip().endswith(f"clipboard: {app.bridge.short_description}")


async def test_demo_asked_for_with_providers_configured(
    tmp_path: Path, settings: Settings, clock: ManualClock
) -> None:
    text = (
        '[providers.lab]\ntype = "inventory"\nprobe = false\n'
        'clusters = [{ name = "c", nodes = ["h"] }]\n'
    )
    app = make_app(configured(tmp_path, settings, text), clock=clock, only="demo")
    async with app.run_test(size=(120, 36)) as pilot:
        row = await top_row(app, pilot)
    assert row.startswith(" Demo cluster (--demo; config.toml's 1 provider hidden)")
    assert row.rstrip().endswith(f"clipboard: {app.bridge.short_description}")


async def test_a_long_provider_line_is_cut_before_the_clipboard_status(
    settings: Settings, clock: ManualClock
) -> None:
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(60, 36)) as pilot:
        row = await top_row(app, pilot)
    status = f"clipboard: {app.bridge.short_description}"
    assert row.rstrip().endswith(status) and "…" in row
    assert len(row.rstrip()) <= 60
