"""Watching in the app: metrics in the nodes pane and `m`, notifications inert, `H` history."""

from __future__ import annotations

import dataclasses

import pytest

from tests.apphelpers import AppFactory, screen_lines, settle_dashboard
from tests.conftest import wait_until
from tui.app.screens.dashboard.node_detail import NodeDetailScreen
from tui.app.screens.notices.screen import NoticeScreen
from tui.core.config.watching import NotifySettings, WatchSettings
from tui.core.models import Job, JobState
from tui.core.watch.events import JobsUpdated
from widgets.tables.node import NodeTable
from widgets.tables.notice import NoticeTable

HOSTILE = "x\x1b]0;x\x07\x1b[2J"


async def test_metrics_fill_the_nodes_pane_and_m_shows_the_history(
    app_factory: AppFactory,
) -> None:
    app = app_factory(watch=WatchSettings(interval=1))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle_dashboard(app, pilot)
        table = app.main_screen.query_one(NodeTable)

        def cpu_cell() -> str:
            return str(table.get_cell("master-0", "cpu"))

        await wait_until(
            lambda: "% " in cpu_cell(), within=20, pause=pilot.pause, what="a CPU figure"
        )
        assert str(table.get_cell("master-0", "memory")).endswith("G")
        assert app.metrics.sampled == ["master-0", "worker-1", "worker-2", "worker-3"]
        table.focus()
        await pilot.press("m")
        await wait_until(
            lambda: isinstance(app.screen, NodeDetailScreen), pause=pilot.pause, what="detail"
        )
        await wait_until(
            lambda: any(line.lstrip("│ ").startswith("CPU ") for line in screen_lines(app)),
            pause=pilot.pause,
            what="the CPU figures in the detail",
        )
        assert any("CPU busy, % of all CPUs: now" in line for line in screen_lines(app))
        await pilot.press("escape")
        await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="back")


async def test_a_hostile_notification_is_inert_everywhere(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(notify=NotifySettings(desktop="osc777"), watch=WatchSettings(metrics="off"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        written: list[str] = []
        assert app._driver is not None
        monkeypatch.setattr(app._driver, "write", written.append)
        job = Job("7", HOSTILE, JobState.QUEUED, provider="demo", node_count=1)
        now = app.clock.now()
        app.notifier.on_event(JobsUpdated((job,), now))
        app.notifier.on_event(JobsUpdated((dataclasses.replace(job, state=JobState.RUNNING),), now))
        app.notifier.on_event(JobsUpdated((dataclasses.replace(job, state=JobState.RUNNING),), now))
        await pilot.pause()
        toasts = [n for n in app._notifications if "started" in n.title]
        assert len(toasts) == 1
        assert "\x1b" not in toasts[0].title + toasts[0].message
        assert "\\x1b]0;x\\x07\\x1b[2J" in toasts[0].message
        # (the demo's jobs, missing from these listings, are noticed as gone: not looked at)
        (osc,) = [w for w in written if w.startswith("\x1b]777;") and " started" in w]
        assert osc.count("\x1b") == 1 and osc.count("\x07") == 1 and osc.endswith("\x07")
        assert "\\x1b]0,x\\x07\\x1b[2J started" in osc
        await pilot.press("H")
        await wait_until(
            lambda: isinstance(app.screen, NoticeScreen), pause=pilot.pause, what="history"
        )
        await wait_until(
            lambda: len(app.screen.query_one(NoticeTable).row_keys) == app.notifier.total,
            pause=pilot.pause,
            what="every notice",
        )
        assert any("x\\x1b]0;x\\x07\\x1b[2J started" in line for line in screen_lines(app))
        await pilot.press("escape")
        await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="back")
