"""The Files screen on the demo cluster's real SFTP servers: browse, preview, transfers, edits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from tests.apphelpers import AppFactory, screen_lines, settle_dashboard
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.dialogs.confirm import ConfirmDialog
from tui.app.screens.files.dialogs import ConflictDialog, PathDialog
from tui.app.screens.files.screen import FilesScreen
from tui.core.transfers import TransferState
from widgets.log.view import LogView
from widgets.tables.file import FileTable
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable


async def open_files(
    app: ClusterdeckApp, pilot: Pilot[None], *, on_node: bool = False
) -> FilesScreen:
    (
        app.main_screen.query_one(NodeTable) if on_node else app.main_screen.query_one(JobTable)
    ).focus()
    await pilot.press("F")
    await wait_until(lambda: isinstance(app.screen, FilesScreen), pause=pilot.pause, what="files")
    screen = app.screen
    assert isinstance(screen, FilesScreen)
    await wait_until(lambda: screen.folder != ".", pause=pilot.pause, what="listing")
    return screen


def job_dir(app: ClusterdeckApp, node: str = "master-0") -> Path:
    return app.settings.state_dir / "demo" / "nodes" / "4207" / node


async def answer(app: ClusterdeckApp, pilot: Pilot[None], text: str | None) -> None:
    """Type `text` into the open PathDialog (None: keep what it offers) and press enter."""
    await wait_until(lambda: isinstance(app.screen, PathDialog), pause=pilot.pause, what="prompt")
    box = app.screen.query_one(Input)
    if text is not None:
        box.value = text
    await pilot.press("enter")


async def test_f_on_a_job_browses_its_directory_and_previews(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    app = app_factory(download_dir=tmp_path / "dl")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        folder = job_dir(app)
        (folder / ".hidden").write_text("secret")
        (folder / "blob.bin").write_bytes(b"\0\1\2" * 1000)
        (folder / "title\x1b]0;pwned\x07.txt").write_text("x")
        screen = await open_files(app, pilot)
        table = screen.query_one(FileTable)
        assert screen.folder == str(folder)
        assert table.row_keys[:2] == ["..", "results"]  # folders first
        assert "case.inp" in table.row_keys and ".hidden" not in table.row_keys
        assert any("title\\x1b]0;pwned\\x07.txt" in line for line in screen_lines(app))
        await pilot.press("full_stop")
        assert ".hidden" in table.row_keys
        await pilot.press("slash")
        screen.query_one("#files-filter", Input).value = "case"
        await wait_until(lambda: table.row_keys == ["..", "case.inp"], pause=pilot.pause)
        await pilot.press("enter")  # keep the filter, back to the table
        assert table.has_focus
        table.select_key("case.inp")
        await pilot.press("enter")
        view = screen.query_one(LogView)
        await wait_until(lambda: view.line_count == 4, pause=pilot.pause, what="preview")
        assert view.get_line(1) == "mesh = wing.cgns"
        screen.query_one("#files-filter", Input).value = ""
        await wait_until(lambda: "blob.bin" in table.row_keys, pause=pilot.pause)
        table.select_key("blob.bin")
        await pilot.press("enter")
        await wait_until(
            lambda: view.line_count == 1 and view.get_line(0).startswith("binary file"),
            pause=pilot.pause,
            what="binary described",
        )
        table.select_key("results")
        await pilot.press("enter")
        await wait_until(lambda: screen.folder.endswith("/results"), pause=pilot.pause)
        await wait_until(lambda: "forces.csv" in table.row_keys, pause=pilot.pause)
        await pilot.press("backspace")
        await wait_until(lambda: screen.folder == str(folder), pause=pilot.pause)
        assert table.cursor_key == "results"  # back on the folder we came from
        await pilot.press("escape")
        await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause)


async def test_download_upload_conflict_and_edits(app_factory: AppFactory, tmp_path: Path) -> None:
    downloads = tmp_path / "dl"
    app = app_factory(download_dir=downloads)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        folder = job_dir(app)
        screen = await open_files(app, pilot)
        table = screen.query_one(FileTable)
        table.select_key("results")
        await pilot.press("d")
        await answer(app, pilot, None)  # the job's download folder, as offered
        await wait_until(
            lambda: app.transfers.transfers and app.transfers.transfers[-1].state.is_over,
            pause=pilot.pause,
            what="download",
        )
        got = downloads / "cfd-wing" / "results" / "forces.csv"
        assert got.read_bytes() == (folder / "results" / "forces.csv").read_bytes()
        assert any("SHA-256 ✓" in line for line in screen_lines(app))

        await pilot.press("d")  # again: it exists, so the conflict dialog asks
        await answer(app, pilot, None)
        await wait_until(lambda: isinstance(app.screen, ConflictDialog), pause=pilot.pause)
        app.screen.query_one(Checkbox).value = True
        await pilot.click("#rename")
        await wait_until(lambda: app.transfers.transfers[-1].state.is_over, pause=pilot.pause)
        assert app.transfers.transfers[-1].state is TransferState.DONE
        assert (downloads / "cfd-wing" / "results" / "forces (1).csv").exists()

        source = tmp_path / "upload me.dat"
        source.write_bytes(os.urandom(300_000))
        await pilot.press("u")
        await answer(app, pilot, str(source))
        await wait_until(lambda: "upload me.dat" in table.row_keys, pause=pilot.pause, what="up")
        uploaded = hashlib.sha256((folder / "upload me.dat").read_bytes()).hexdigest()
        assert uploaded == hashlib.sha256(source.read_bytes()).hexdigest()

        await pilot.press("m")
        await answer(app, pilot, "new folder")
        await wait_until(lambda: "new folder" in table.row_keys, pause=pilot.pause)
        table.select_key("upload me.dat")
        await pilot.press("n")
        await answer(app, pilot, "renamed.dat")
        await wait_until(lambda: "renamed.dat" in table.row_keys, pause=pilot.pause)
        assert (folder / "renamed.dat").exists() and not (folder / "upload me.dat").exists()
        table.select_key("new folder")
        await pilot.press("delete")
        await wait_until(lambda: isinstance(app.screen, ConfirmDialog), pause=pilot.pause)
        await pilot.click("#confirm")
        await wait_until(lambda: "new folder" not in table.row_keys, pause=pilot.pause)
        assert not (folder / "new folder").exists()

        await pilot.press("b")
        assert app.bookmarks.of("demo") == [str(folder)]
        assert str(folder) in (app.settings.state_dir / "bookmarks.json").read_text()


async def test_f_on_a_node_opens_that_node(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        nodes = app.main_screen.query_one(NodeTable)
        nodes.focus()
        nodes.select_key("worker-1")
        await pilot.pause()
        screen = await open_files(app, pilot, on_node=True)
        assert screen.where == "cfd-wing/worker-1"
        assert screen.folder == str(job_dir(app, "worker-1"))
