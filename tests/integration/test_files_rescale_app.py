"""The Files screen on a Rescale job's files through the API (the fake platform on loopback):
list, download checked against `fileChecksums` (and a mismatch reported), upload, watch."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.apphelpers import screen_lines
from tests.conftest import wait_until
from tests.fake_rescale.server import API_KEY, FakeRescale, running_fake
from tests.snapshots.conftest import Snap
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.app.screens.files.api_screen import ApiFilesScreen
from tui.app.screens.files.dialogs import PathDialog
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.providers.rescale.credentials import ENV_VAR
from tui.core.transfers import Direction, Transfer, TransferState
from widgets.log.view import LogView
from widgets.tables.file import FileTable
from widgets.tables.job import JobTable

WAIT = 20.0


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRescale]:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    with running_fake() as server:
        yield server


@pytest.fixture
async def running(
    fake: FakeRescale, tmp_path: Path
) -> AsyncIterator[tuple[ClusterdeckApp, Pilot[None]]]:
    state = tmp_path / "state"
    state.mkdir()
    provider = ProviderConfig("cloud", "rescale", {"base_url": fake.base_url, "poll_interval": 0.0})
    settings = Settings(
        state_dir=state,
        providers=(provider,),
        poll_interval=0.5,
        config_path=state / "config.toml",
        download_dir=tmp_path / "dl",
    )
    app = make_app(settings, clock=SystemClock())
    app.animation_level = "none"
    async with app.run_test(size=(120, 36)) as pilot:
        yield app, pilot


async def open_api_files(app: ClusterdeckApp, pilot: Pilot[None]) -> ApiFilesScreen:
    jobs = app.main_screen.query_one(JobTable)
    await wait_until(lambda: jobs.row_keys, pause=pilot.pause, within=WAIT, what="the job")
    jobs.focus()
    await pilot.press("F")
    await wait_until(
        lambda: isinstance(app.screen, ApiFilesScreen), pause=pilot.pause, what="files"
    )
    screen = app.screen
    assert isinstance(screen, ApiFilesScreen)
    await wait_until(
        lambda: any(" API: " in line for line in screen_lines(app)),
        pause=pilot.pause,
        what="listing",
    )
    return screen


async def answer(app: ClusterdeckApp, pilot: Pilot[None], text: str | None) -> None:
    await wait_until(lambda: isinstance(app.screen, PathDialog), pause=pilot.pause, what="prompt")
    if text is not None:
        app.screen.query_one(Input).value = text
    await pilot.press("enter")


async def newest_over(app: ClusterdeckApp, pilot: Pilot[None], count: int) -> Transfer:
    """The newest transfer once `count` transfers exist and it is over."""
    transfers = app.transfers.transfers
    await wait_until(
        lambda: len(transfers) >= count and transfers[-1].state.is_over,
        pause=pilot.pause,
        within=WAIT,
        what="the transfer",
    )
    return transfers[-1]


async def test_list_download_checked_mismatch_and_upload(
    running: tuple[ClusterdeckApp, Pilot[None]],
    fake: FakeRescale,
    tmp_path: Path,
    save_screenshot: Snap,
) -> None:
    app, pilot = running
    big = os.urandom(300_000)
    job = fake.add_job("wing", status="Completed")
    fake.write_output(job.id, "results/forces.csv", b"step,lift\n1,0.3\n")
    fake.write_output(job.id, "results/field.bin", big)
    fake.write_output(job.id, "odd\x1b]0;x\x07.txt", b"A" * 1000)
    screen = await open_api_files(app, pilot)
    table = screen.query_one(FileTable)
    await wait_until(lambda: "results" in table.row_keys, pause=pilot.pause, what="rows")
    assert table.row_keys[0] == "results"  # folders first, no `..` at the top
    assert "odd\x1b]0;x\x07.txt" in table.row_keys
    lines = screen_lines(app)
    assert any("odd\\x1b]0;x\\x07.txt" in line for line in lines)  # inert
    assert any("no rename, new folder or delete" in line for line in lines)
    for action in ("mkdir", "rename", "delete", "goto", "bookmarks", "watch"):  # watch: ended
        assert screen.check_action(action, ()) is False
    await pilot.press("m")  # not offered: nothing opens
    await pilot.pause()
    assert app.screen is screen

    await pilot.press("enter")  # into results/
    await wait_until(lambda: table.row_keys == ["..", "field.bin", "forces.csv"], pause=pilot.pause)
    assert any("300.0 KB" in line for line in screen_lines(app))
    table.select_key("forces.csv")
    await pilot.press("enter")  # a preview, read through the API
    view = screen.query_one(LogView)
    await wait_until(lambda: view.line_count == 2, pause=pilot.pause, what="preview")
    assert view.get_line(1) == "1,0.3"
    await pilot.press("backspace")
    await wait_until(lambda: table.cursor_key == "results", pause=pilot.pause, what="back up")
    await pilot.press("d")  # the whole folder prefix
    await answer(app, pilot, None)  # the job's download folder
    done = await newest_over(app, pilot, 1)
    dest = tmp_path / "dl" / "wing"
    assert done.state is TransferState.DONE, done.error
    assert done.outcome is not None and done.outcome.verified == "sha256"
    assert (dest / "results" / "field.bin").read_bytes() == big
    assert (dest / "results" / "forces.csv").read_bytes() == b"step,lift\n1,0.3\n"
    assert any("SHA-256 ✓" in line for line in screen_lines(app))
    save_screenshot(app, "files-rescale")

    fake.fail("GET", r"^files/O\w+/contents/$", 200, body=b"B" * 1000)  # same size, other bytes
    table.select_key("odd\x1b]0;x\x07.txt")
    await pilot.press("d")
    await answer(app, pilot, str(tmp_path / "bad"))
    failed = await newest_over(app, pilot, 2)
    assert failed.state is TransferState.FAILED
    assert failed.error is not None and "SHA-256 of the copy" in failed.error.message
    assert list((tmp_path / "bad").rglob("*")) == []
    await wait_until(
        lambda: any("SHA-256 of the copy" in line for line in screen_lines(app)),
        pause=pilot.pause,
        what="the mismatch shown",
    )

    source = tmp_path / "mesh input.cgns"
    data = os.urandom(50_000)
    source.write_bytes(data)
    await pilot.press("u")
    await answer(app, pilot, str(source))
    stored = await newest_over(app, pilot, 3)
    assert stored.spec.direction is Direction.UP and stored.state is TransferState.DONE
    assert fake.world.uploads == {"U0001": ("mesh input.cgns", data)}
    await wait_until(
        lambda: any("file id U0001" in n.message for n in app._notifications),
        pause=pilot.pause,
        what="the file id",
    )


async def test_watch_fetches_outputs_as_they_appear_until_the_job_ends(
    running: tuple[ClusterdeckApp, Pilot[None]],
    fake: FakeRescale,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, pilot = running
    monkeypatch.setattr(ApiFilesScreen, "watch_interval", 0.1)
    job = fake.add_job("wing", status="Executing")
    screen = await open_api_files(app, pilot)
    assert any("live run folder" in line for line in screen_lines(app))
    assert screen.check_action("watch", ()) is True
    await pilot.press("w")
    await wait_until(lambda: screen.watching, pause=pilot.pause, what="watching")
    dest = tmp_path / "dl" / "wing"
    fake.write_output(job.id, "step-0.csv", b"step 0\n")
    await wait_until(
        lambda: (dest / "step-0.csv").exists(), pause=pilot.pause, within=WAIT, what="fetched"
    )
    assert (dest / "step-0.csv").read_bytes() == b"step 0\n"
    assert any(t.label == "step-0.csv" for t in app.transfers.transfers)
    table = screen.query_one(FileTable)
    await wait_until(lambda: "step-0.csv" in table.row_keys, pause=pilot.pause, what="relisted")
    fake.write_output(job.id, "step-0.csv", b"step 0, final\n")  # rewritten at the end
    fake.complete(job.id)
    await wait_until(lambda: not screen.watching, pause=pilot.pause, within=WAIT, what="ended")
    assert (dest / "step-0.csv").read_bytes() == b"step 0, final\n"  # the stored copy won
    assert any("has ended" in n.message for n in app._notifications)
