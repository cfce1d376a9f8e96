"""Screenshots of the main states, compared with screenshots/*.svg."""

from __future__ import annotations

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.app.screens.dialogs.help import HelpScreen
from tui.core.clock import ManualClock
from widgets.log.view import LogView
from widgets.tables.job import JobTable


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
        jobs = app.main_screen.query_one(JobTable)
        await wait_until(  # the once-a-second status tick has seen the clock move
            lambda: "12s ago" in str(jobs.border_subtitle), pause=pilot.pause, what="poll age"
        )
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


async def test_terminal_demo(app_factory: AppFactory, snap: Snap) -> None:
    from widgets.tables.node import NodeTable

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.main_screen.query_one(NodeTable).focus()
        await pilot.press("enter")
        await wait_until(
            lambda: bool(app.terminals.views) and app.terminals.views[0].running,
            pause=pilot.pause,
            within=15,
            what="shell",
        )
        view = app.terminals.views[0]
        view.send(b"PS1='$ '; clear\r")
        view.send(
            b"printf '\\033[1;32mclusterdeck\\033[0m embedded terminal: \\033[38;5;208m256"
            b"\\033[0m, \\033[38;2;90;160;255mtruecolor\\033[0m, \\346\\227\\245\\346\\234"
            b"\\254 wide\\n'; uname -s\r"
        )
        await wait_until(
            lambda: any(row.startswith("Linux") for row in view.screen_text()),
            pause=pilot.pause,
            what="output",
        )
        await pilot.pause()
        snap(app, "terminal-demo")


async def test_clipboard_bridge_screen(
    app_factory: AppFactory, snap: Snap, clock: ManualClock
) -> None:
    from tui.app.screens.clipboard.screen import ClipboardScreen

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.bridge.write_local("module load openfoam/11\nsbatch run.sh\n")
        app.bridge.record("to-cluster", "root@master-0", "module load openfoam/11\n", "shell")
        app.bridge.receive("root@master-0", "residual 3.2e-05 at iter 412", "selection")
        await pilot.press("c")
        await wait_until(
            lambda: isinstance(app.screen, ClipboardScreen), pause=pilot.pause, what="bridge screen"
        )
        await pilot.pause()
        snap(app, "clipboard-bridge")


async def test_paste_confirm_dialog(app_factory: AppFactory, snap: Snap) -> None:
    from tui.app.screens.clipboard.screen import PasteConfirmDialog

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        text = "cd $SCRATCH/run-17\nsbatch --array=1-24 sweep.sh\nsqueue --me\n"
        await app.push_screen(
            PasteConfirmDialog(
                text, "3 lines into a shell that did not ask for bracketed paste", "root@master-0"
            )
        )
        await pilot.pause()
        snap(app, "paste-confirm")


async def test_terminal_broadcast_and_recording(app_factory: AppFactory, snap: Snap) -> None:
    from widgets.tables.node import NodeTable

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        for count in (1, 2):
            if app.screen is app.terminals:
                await pilot.press("ctrl+right_square_bracket")
                await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause)
            app.main_screen.query_one(NodeTable).focus()
            for _ in range(count - 1):
                await pilot.press("down")
            await pilot.press("enter")

            def opened(n: int = count) -> bool:
                return len(app.terminals.views) == n and app.terminals.views[-1].running

            await wait_until(
                opened,
                pause=pilot.pause,
                within=15,
                what="shell",
            )
        await pilot.press("alt+shift+b", "alt+r")
        from tests.app.test_broadcast import type_text

        for view in app.terminals.views:
            view.send(b"PS1='$ '; clear\r")
        await wait_until(
            lambda: all(v.screen_text()[0] == "$" for v in app.terminals.views),
            pause=pilot.pause,
            what="clear screens",
        )
        await type_text(pilot, "echo typed into both")
        await wait_until(
            lambda: all(
                sum("typed into both" in row for row in v.screen_text()) == 2
                for v in app.terminals.views
            ),
            pause=pilot.pause,
            what="output in both",
        )
        app.clear_notifications()
        await pilot.pause()
        snap(app, "terminal-broadcast")


async def test_node_detail(app_factory: AppFactory, snap: Snap) -> None:
    from tui.app.screens.dashboard.node_detail import NodeDetailScreen
    from widgets.tables.node import NodeTable

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.main_screen.query_one(NodeTable).focus()
        await pilot.press("m")
        await wait_until(
            lambda: isinstance(app.screen, NodeDetailScreen), pause=pilot.pause, what="detail"
        )
        await pilot.pause()
        snap(app, "node-detail")


async def test_notification_history(app_factory: AppFactory, snap: Snap) -> None:
    import dataclasses

    from tui.app.screens.notices.screen import NoticeScreen
    from tui.core.config.watching import NotifySettings
    from tui.core.models import JobState
    from tui.core.watch.events import JobsUpdated, LogLines, LogStarted

    app = app_factory(notify=NotifySettings(patterns=("NaN",), desktop="bell"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        jobs = tuple(app.watcher.jobs.values())
        queued = next(j for j in jobs if j.state is JobState.QUEUED)
        now = app.clock.now()
        started = dataclasses.replace(queued, state=JobState.RUNNING)
        failed = dataclasses.replace(
            started, state=JobState.FAILED, status_detail="failed · exit 3"
        )
        for listing in ((queued,), (started,), (failed,)):
            app.notifier.on_event(JobsUpdated(listing, now))
        app.notifier.on_event(LogStarted(started))
        app.notifier.on_event(LogLines(started, ("step 41 loss NaN \x1b]0;x\x07",), 1))
        await pilot.press("H")
        await wait_until(
            lambda: isinstance(app.screen, NoticeScreen), pause=pilot.pause, what="history"
        )
        app.clear_notifications()  # the toasts of the events above, not part of the screen
        await pilot.pause()
        snap(app, "notification-history")
