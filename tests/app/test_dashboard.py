"""The whole dashboard on the demo provider: browse jobs, nodes, the live log, help, quit."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.dialogs.help import HelpScreen
from tui.core.clock import ManualClock
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable

Running = tuple[ClusterdeckApp, Pilot[None]]


async def test_jobs_nodes_and_log_of_the_running_job(running_app: Running) -> None:
    app, _ = running_app
    jobs = app.main_screen.query_one(JobTable)
    names = [str(jobs.get_cell(key, "name")) for key in jobs.row_keys]
    assert {"cfd-wing", "md-run", "sweep-17"} <= set(names)
    assert jobs.cursor_key is not None
    highlighted = app.main_screen.jobs[jobs.cursor_key]
    assert highlighted.name == "cfd-wing"
    assert str(jobs.get_cell(jobs.cursor_key, "state")) == "RUNNING"
    nodes = app.main_screen.query_one(NodeTable)
    assert nodes.row_keys == ["master-0", "worker-1", "worker-2", "worker-3"]
    master = app.main_screen.nodes["master-0"]
    assert master.port > 0
    assert str(nodes.get_cell("master-0", "address")) == f"127.0.0.1:{master.port}"
    log = app.main_screen.query_one(LogView)
    text = "\n".join(log.tail(log.line_count))
    assert f"SSH: {master.user}@127.0.0.1 port {master.port}" in text
    assert "server listening on port" in text
    assert app.main_screen.query_one("#log-pane").border_title == "Live log: cfd-wing (following)"


async def test_arrow_keys_move_to_the_queued_job_and_its_pending_nodes(
    running_app: Running, clock: ManualClock
) -> None:
    app, pilot = running_app
    screen = app.main_screen
    screen.query_one(JobTable).focus()
    await pilot.press("down")
    await wait_until(
        lambda: screen.selected is not None and screen.selected.name == "md-run",
        pause=pilot.pause,
        what="md-run selected",
    )
    nodes = screen.query_one(NodeTable)
    await wait_until(
        lambda: nodes.row_keys == ["master-0", "worker-1"], pause=pilot.pause, what="md-run nodes"
    )
    assert str(nodes.get_cell("master-0", "state")) == "pending"
    # Demo time passes: the queued job starts, its nodes come up and its log begins.
    clock.advance(40)
    await screen.refresh_now()
    jobs = screen.query_one(JobTable)
    await wait_until(
        lambda: screen.jobs[jobs.cursor_key or ""].state.value == "running",
        pause=pilot.pause,
        what="md-run running",
    )
    await screen.refresh_now()
    await wait_until(
        lambda: str(nodes.get_cell("master-0", "state")) == "running",
        pause=pilot.pause,
        what="md-run nodes running",
    )
    log = screen.query_one(LogView)
    await wait_until(lambda: log.line_count > 0, pause=pilot.pause, what="md-run log")
    assert any("SSH:" in line for line in log.tail(log.line_count))


async def test_scrolling_up_pauses_the_log_and_counts_new_lines(
    running_app: Running, clock: ManualClock
) -> None:
    app, pilot = running_app
    screen = app.main_screen
    log = screen.query_one(LogView)
    pane = screen.query_one("#log-pane")
    await pilot.press("l")
    assert log.has_focus
    await pilot.press("pageup")
    await wait_until(lambda: not log.follow, pause=pilot.pause, what="follow off")
    before = log.line_count
    clock.advance(10)
    await wait_until(lambda: log.line_count >= before + 20, pause=pilot.pause, what="new lines")
    await wait_until(
        lambda: "new lines" in str(pane.border_title), pause=pilot.pause, what="paused title"
    )
    assert f"paused · {log.pending} new lines" in str(pane.border_title)
    assert log.pending >= 20
    await pilot.press("end")
    await wait_until(lambda: log.follow, pause=pilot.pause, what="following again")
    assert log.pending == 0
    assert str(pane.border_title).endswith("(following)")


async def test_search_box_finds_a_line(running_app: Running) -> None:
    app, pilot = running_app
    await pilot.press("slash")
    search = app.main_screen.query_one("#log-search", Input)
    assert search.has_focus
    await pilot.press(*"SSH:", "enter")
    log = app.main_screen.query_one(LogView)
    await wait_until(lambda: not log.follow, pause=pilot.pause, what="search moved the view")
    await pilot.press("escape")
    assert log.has_focus
    assert not search.has_class("-shown")


async def test_l_focuses_the_log_then_gives_it_the_whole_height(running_app: Running) -> None:
    app, pilot = running_app
    screen = app.main_screen
    log, top = screen.query_one(LogView), screen.query_one("#top")
    height = log.size.height
    await pilot.press("l")
    assert log.has_focus and top.display
    await pilot.press("l")
    await wait_until(lambda: log.size.height > height, pause=pilot.pause, what="a taller log")
    assert not top.display
    await pilot.press("w")  # the log's own keys still work
    assert log.wrap
    await pilot.press("l")
    await wait_until(lambda: log.size.height == height, pause=pilot.pause, what="the old height")
    assert top.display


async def test_help_lists_keys_and_closes(running_app: Running) -> None:
    app, pilot = running_app
    await pilot.press("question_mark")
    await wait_until(lambda: isinstance(app.screen, HelpScreen), pause=pilot.pause, what="help")
    await pilot.press("escape")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="help closed")


async def test_keymap_from_config_remaps_a_binding(app_factory: AppFactory) -> None:
    app = app_factory(keymap={"focus-log": "L"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.main_screen.query_one(JobTable).focus()
        await pilot.press("l")
        assert not app.main_screen.query_one(LogView).has_focus
        await pilot.press("L")
        assert app.main_screen.query_one(LogView).has_focus


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_closes_every_server(app_factory: AppFactory, key: str) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        port = app.main_screen.nodes["master-0"].port
        await pilot.press(key)
    assert app.return_code in (0, None)
    import asyncio

    with pytest.raises(OSError):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()


async def test_enter_on_a_pending_node_explains_instead_of_crashing(running_app: Running) -> None:
    app, pilot = running_app
    screen = app.main_screen
    screen.query_one(JobTable).focus()
    await pilot.press("down")
    nodes = screen.query_one(NodeTable)
    await wait_until(
        lambda: nodes.row_keys == ["master-0", "worker-1"], pause=pilot.pause, what="md-run nodes"
    )
    nodes.focus()
    await pilot.press("enter")
    await wait_until(
        lambda: any("not running" in n.message for n in app._notifications),
        pause=pilot.pause,
        what="explanation",
    )
    assert app.is_running


async def test_switching_jobs_shows_the_end_of_the_new_log(running_app: Running) -> None:
    app, pilot = running_app
    screen = app.main_screen
    screen.query_one(JobTable).focus()
    await pilot.press("down", "down")
    await wait_until(
        lambda: screen.selected is not None and screen.selected.name == "sweep-17",
        pause=pilot.pause,
        what="sweep-17 selected",
    )
    log = screen.query_one(LogView)
    await wait_until(
        lambda: "complete" in str(screen.query_one("#log-pane").border_title),
        pause=pilot.pause,
        what="finished log",
    )
    await pilot.pause()
    last = log.get_line(-1)
    visible = [log.render_line(y).text.rstrip() for y in range(log.size.height)]
    assert "Job completed successfully" in last
    assert last in visible


def shown_notes(app: ClusterdeckApp, title: str) -> list[str]:
    """The text the toasts titled `title` show (markup rendered as the toast renders it)."""
    return [
        Content.from_markup(n.message).plain if n.markup else n.message
        for n in app._notifications
        if n.title == title
    ]


async def test_unknown_binding_ids_are_reported_with_the_file_not_fatal(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nfocus-log = "L"\nno-such-binding = "f9"\n')
    app = app_factory(keymap={"focus-log": "L", "no-such-binding": "f9"}, config_path=config)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        notes = shown_notes(app, "Configuration")
        assert len(notes) == 1, notes
        assert notes[0].startswith(f"{config}:3: [keys] unknown binding id 'no-such-binding'; "), (
            notes
        )
        assert "focus-log" not in notes[0] and "ignored" in notes[0]
        assert app.is_running


async def test_unknown_theme_is_reported_with_the_file_not_fatal(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "no-such-theme"\n')
    app = app_factory(theme="no-such-theme", config_path=config)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        notes = shown_notes(app, "Configuration")
        assert len(notes) == 1, notes
        assert notes[0].startswith(f"{config}:2: [ui] theme 'no-such-theme' is not a theme")
        assert app.theme == "textual-dark"
        assert app.is_running
