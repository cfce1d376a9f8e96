"""A screenshot of the Files screen on the demo job: its folder, a preview, a finished download.

Deterministic: a fixed state dir (the path bar shows it), fixed modification times, and the
transfer is over before the shot (no rate or ETA).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.app.screens.files.screen import FilesScreen
from widgets.log.view import LogView
from widgets.tables.file import FileTable
from widgets.tables.job import JobTable

BASE = Path("/tmp/clusterdeck-files-screenshot")
STAMP = 1_796_720_400  # 2026-12-08 09:00 UTC


async def test_files_screen(
    app_factory: AppFactory, snap: Snap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")  # the Modified column is in local time
    time.tzset()
    shutil.rmtree(BASE, ignore_errors=True)
    (BASE / "state").mkdir(parents=True, mode=0o700)
    app = app_factory(state_dir=BASE / "state", download_dir=BASE / "downloads")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle_dashboard(app, pilot)
            folder = BASE / "state" / "demo" / "nodes" / "4207" / "master-0"
            for path in [*folder.rglob("*"), folder]:
                os.utime(path, (STAMP, STAMP))
            app.main_screen.query_one(JobTable).focus()
            await pilot.press("F")
            await wait_until(lambda: isinstance(app.screen, FilesScreen), pause=pilot.pause)
            screen = app.screen
            assert isinstance(screen, FilesScreen)
            table = screen.query_one(FileTable)
            await wait_until(lambda: "case.inp" in table.row_keys, pause=pilot.pause)
            table.select_key("results")
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("enter")
            await wait_until(
                lambda: bool(app.transfers.transfers) and app.transfers.transfers[0].state.is_over,
                pause=pilot.pause,
            )
            await pilot.press("enter")
            await wait_until(lambda: "forces.csv" in table.row_keys, pause=pilot.pause)
            table.select_key("forces.csv")
            await pilot.press("enter")
            view = screen.query_one(LogView)
            await wait_until(lambda: view.line_count > 10, pause=pilot.pause)
            app.clear_notifications()
            await pilot.pause()
            snap(app, "files-demo")
    finally:
        shutil.rmtree(BASE, ignore_errors=True)
        monkeypatch.undo()
        time.tzset()
