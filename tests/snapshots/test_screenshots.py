"""Screenshots of the main states, compared with screenshots/*.svg."""

from __future__ import annotations

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.clock import ManualClock
from tui.screens.help import HelpScreen
from widgets.job_table import JobTable
from widgets.log_view import LogView


async def test_main_demo(app_factory: AppFactory, snap: Snap) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.main_screen.query_one(JobTable).focus()
        await pilot.pause()
        snap(app, "main-demo")


async def test_main_log_paused_new_lines(
    app_factory: AppFactory, snap: Snap, clock: ManualClock
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        log = app.main_screen.query_one(LogView)
        await pilot.press("l", "pageup", "pageup")
        await wait_until(lambda: not log.follow, pause=pilot.pause, what="paused")
        total = log.line_count
        clock.advance(12)
        await wait_until(
            lambda: log.line_count == total + 24, pause=pilot.pause, what="24 new lines"
        )
        await wait_until(lambda: log.pending == 24, pause=pilot.pause, what="pending counted")
        await pilot.pause()
        snap(app, "main-log-paused-new-lines")


async def test_help(app_factory: AppFactory, snap: Snap) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        await pilot.press("question_mark")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pause=pilot.pause, what="help")
        await pilot.pause()
        snap(app, "help")
