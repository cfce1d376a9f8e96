"""Helpers for whole-app tests on the demo provider with a manual clock."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable

AppFactory = Callable[..., ClusterdeckApp]
Running = tuple[ClusterdeckApp, Pilot[None]]


def screen_lines(app: ClusterdeckApp) -> list[str]:
    """The rows of the current screen as plain text, as the terminal would show them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def settle_dashboard(app: ClusterdeckApp, pilot: Pilot[None]) -> None:
    """Wait until jobs, the first job's nodes and its log are on screen."""
    screen = app.main_screen
    await wait_until(lambda: screen.ready.is_set(), pause=pilot.pause, what="provider start")
    await wait_until(
        lambda: len(screen.query_one(JobTable).row_keys) >= 3, pause=pilot.pause, what="jobs listed"
    )
    await wait_until(
        lambda: len(screen.query_one(NodeTable).row_keys) >= 1,
        pause=pilot.pause,
        what="nodes listed",
    )
    await wait_until(
        lambda: screen.query_one(LogView).line_count > 10, pause=pilot.pause, what="log lines"
    )
    await pilot.pause()
