"""Below 80 columns the footer still shows `q` Quit and `?` Help."""

from __future__ import annotations

import pytest

from tests.apphelpers import AppFactory, screen_lines, settle_dashboard
from tests.conftest import wait_until
from tui.app.screens.tunnels.screen import TunnelScreen
from widgets.tables.job import JobTable


def has_quit_and_help(row: str) -> bool:
    return "q Quit" in row and "? Help" in row


@pytest.mark.parametrize("width", [60, 70, 79])
async def test_quit_and_help_stay_in_the_footer(app_factory: AppFactory, width: int) -> None:
    app = app_factory()
    async with app.run_test(size=(width, 30)) as pilot:
        await settle_dashboard(app, pilot)
        await wait_until(
            lambda: has_quit_and_help(screen_lines(app)[-1]),
            pause=pilot.pause,
            what=f"q Quit and ? Help at {width} columns",
        )
        app.main_screen.query_one(JobTable).focus()
        await pilot.press("t")
        await wait_until(lambda: isinstance(app.screen, TunnelScreen), pause=pilot.pause)
        await wait_until(
            lambda: has_quit_and_help(screen_lines(app)[-1]) and "a Add" in screen_lines(app)[-1],
            pause=pilot.pause,
            what="q Quit and ? Help on the tunnel screen",
        )


async def test_wide_footer_keeps_the_screen_order(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle_dashboard(app, pilot)
        row = screen_lines(app)[-1]
        assert row.index("l Log") < row.index("q Quit") < row.index("? Help")


async def test_the_footer_follows_a_resize(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle_dashboard(app, pilot)
        await pilot.resize_terminal(64, 30)
        await wait_until(
            lambda: screen_lines(app)[-1].startswith("q Quit ? Help"),
            pause=pilot.pause,
            what="the narrow footer",
        )
        await pilot.resize_terminal(120, 30)
        await wait_until(
            lambda: screen_lines(app)[-1].lstrip().startswith("l Log"),
            pause=pilot.pause,
            what="the wide footer",
        )
