"""Enter on a demo node opens a real SSH shell in a terminal tab; tabs, release, exit, reconnect."""

from __future__ import annotations

import re

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp, system_ssh_command
from tui.core.config.watching import WatchSettings
from tui.core.models import SshTarget
from widgets.tables.node import NodeTable
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]

KEY_NAMES = {" ": "space", "-": "minus", "=": "equals_sign", "'": "apostrophe", ";": "semicolon"}


async def type_line(pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key (through the terminal's key encoding), then enter."""
    await pilot.press(*(KEY_NAMES.get(ch, ch) for ch in text), "enter")


def screen_has(view: TerminalView, needle: str) -> bool:
    return any(needle in row for row in view.screen_text())


async def open_shell(app: ClusterdeckApp, pilot: Pilot[None], row: int = 0) -> TerminalView:
    nodes = app.main_screen.query_one(NodeTable)
    nodes.focus()
    for _ in range(row):
        await pilot.press("down")
    before = len(app.terminals.views)
    await pilot.press("enter")
    await wait_until(
        lambda: len(app.terminals.views) == before + 1, pause=pilot.pause, what="a new terminal tab"
    )
    view = app.terminals.views[-1]
    await wait_until(lambda: view.running, pause=pilot.pause, within=15, what="shell running")
    return view


async def test_enter_opens_a_real_shell_sized_like_the_widget(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    assert app.screen is app.terminals
    assert view.has_focus
    await type_line(pilot, "echo hello from the node")
    await wait_until(
        lambda: screen_has(view, "hello from the node"), pause=pilot.pause, what="echo output"
    )
    await type_line(pilot, "stty size")
    rows, cols = view.content_size.height, view.content_size.width
    await wait_until(
        lambda: screen_has(view, f"{rows} {cols}"),
        pause=pilot.pause,
        what=f"stty size {rows} {cols}",
    )
    # The shell runs in the node's own working directory on the demo node.
    await type_line(pilot, "pwd")
    await wait_until(lambda: screen_has(view, "master-0"), pause=pilot.pause, what="pwd")


async def test_release_chord_goes_to_the_dashboard_and_back(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    await type_line(pilot, "echo kept")
    await wait_until(lambda: screen_has(view, "kept"), pause=pilot.pause, what="output")
    await pilot.press("ctrl+right_square_bracket")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="dashboard")
    # `q` on the dashboard would quit; in the shell it is just a letter. Go back and check.
    await pilot.press("ctrl+right_square_bracket")
    await wait_until(lambda: app.screen is app.terminals, pause=pilot.pause, what="shells")
    assert app.terminals.views == [view]
    assert screen_has(view, "kept")
    await type_line(pilot, "echo q")
    await wait_until(lambda: screen_has(view, "echo q"), pause=pilot.pause, what="q typed")
    assert app.is_running


async def test_two_tabs_switch_with_ctrl_pagedown(running_app: Running) -> None:
    app, pilot = running_app
    first = await open_shell(app, pilot, row=0)
    await pilot.press("ctrl+right_square_bracket")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="dashboard")
    second = await open_shell(app, pilot, row=1)
    tabs = app.terminals.query_one(TabbedContent)
    labels = [str(tabs.get_tab(pane).label) for pane in ("shell-1", "shell-2")]
    assert labels[0].endswith("@master-0") and labels[1].endswith("@worker-1")
    assert app.terminals.active_view is second
    await pilot.press("ctrl+pagedown")
    await wait_until(
        lambda: app.terminals.active_view is first, pause=pilot.pause, what="first tab active"
    )
    assert first.has_focus


async def test_exit_shows_the_status_and_r_reconnects(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    await type_line(pilot, "exit 3")
    await wait_until(lambda: view.state == "exited", pause=pilot.pause, what="shell exited")
    await wait_until(
        lambda: "exited with status 3" in (view.status_text or ""),
        pause=pilot.pause,
        what="exit status shown",
    )
    tabs = app.terminals.query_one(TabbedContent)
    assert str(tabs.get_tab("shell-1").label).endswith("(exited)")
    await pilot.press("r")
    await wait_until(lambda: view.running, pause=pilot.pause, what="reconnected")
    await wait_until(
        lambda: not str(tabs.get_tab("shell-1").label).endswith("(exited)"),
        pause=pilot.pause,
        what="label reset",
    )
    await type_line(pilot, "echo again")
    await wait_until(lambda: screen_has(view, "again"), pause=pilot.pause, what="new shell")


async def test_reconnect_starts_on_a_clean_screen_below_the_old_one(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    await type_line(pilot, "clear; for i in 1 2 3 4 5 6; do echo old-line-$i; done; exit")
    await wait_until(lambda: view.state == "exited", pause=pilot.pause, what="shell exited")
    await pilot.press("r")
    await wait_until(lambda: view.running, pause=pilot.pause, what="reconnected")
    await type_line(pilot, "echo new-session")
    await wait_until(
        lambda: screen_has(view, "new-session"), pause=pilot.pause, what="the new shell's echo"
    )
    assert not screen_has(view, "old-line"), view.screen_text()
    view.scroll_back(view.model.emulator.history_size)
    history = [row for row in view.screen_text() if row]
    olds = [history.index(f"old-line-{i}") for i in range(1, 7)]
    assert olds == sorted(olds)
    separator = next(i for i, row in enumerate(history) if row.startswith("── reconnected "))
    assert separator > olds[-1]
    assert re.fullmatch(r"── reconnected \d\d:\d\d:\d\d ──", history[separator])


async def test_unknown_host_key_asks_cancel_refuses_trust_job_connects(
    app_factory: AppFactory,
) -> None:
    # No metrics: their samplers would have connected (and verified the keys) before they
    # are forgotten below, and the shell would share that connection.
    app = app_factory(watch=WatchSettings(metrics="off"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        await _unknown_host_key_asks_cancel_refuses_trust_job_connects(app, pilot)


async def _unknown_host_key_asks_cancel_refuses_trust_job_connects(
    app: ClusterdeckApp, pilot: Pilot[None]
) -> None:
    from tui.app.screens.dialogs.hostkey import HostKeyDialog

    app.settings.known_hosts_path.write_text("")  # forget every demo host key
    view = await open_shell_expect_dialog(app, pilot)
    dialog = app.screen
    assert "SHA256:" in str(dialog.query_one("#hostkey-facts").render())
    await pilot.press("escape")  # cancel: refused, with the fingerprint in the tab
    await wait_until(lambda: view.state == "exited", pause=pilot.pause, within=15, what="refused")
    status = view.status_text or ""
    assert "Unknown host key: 127.0.0.1:" in status and "SHA256:" in status
    await pilot.press("r")  # retry, and trust it for this job only
    await wait_until(
        lambda: isinstance(app.screen, HostKeyDialog), pause=pilot.pause, what="asked again"
    )
    await pilot.press("j")
    await wait_until(lambda: view.running, pause=pilot.pause, within=15, what="connected")
    assert app.settings.known_hosts_path.read_text() == ""  # not remembered for good


async def open_shell_expect_dialog(app: ClusterdeckApp, pilot: Pilot[None]) -> TerminalView:
    from tui.app.screens.dialogs.hostkey import HostKeyDialog

    app.main_screen.query_one(NodeTable).focus()
    await pilot.press("enter")
    await wait_until(lambda: len(app.terminals.views) == 1, pause=pilot.pause, what="tab")
    await wait_until(
        lambda: isinstance(app.screen, HostKeyDialog),
        pause=pilot.pause,
        within=15,
        what="host key dialog",
    )
    return app.terminals.views[0]


async def test_remapped_release_chord_passes_through_the_terminal(
    app_factory: AppFactory,
) -> None:
    app = app_factory(keymap={"toggle-terminals": "f6"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        await open_shell(app, pilot)
        await pilot.press("f6")
        await wait_until(
            lambda: app.screen is app.main_screen,
            pause=pilot.pause,
            what="f6 released the terminal",
        )


def test_system_ssh_command_verifies_host_keys(tmp_path: object) -> None:
    from pathlib import Path

    jump = SshTarget("login.example", 22, "me")
    target = SshTarget("10.0.0.4", 2222, "uprod", Path("/k/id"), jump=jump)
    command = system_ssh_command(target, known_hosts=Path("/state/known_hosts"))
    assert command == [
        "ssh",
        "-p",
        "2222",
        "-i",
        "/k/id",
        "-o",
        "UserKnownHostsFile=~/.ssh/known_hosts /state/known_hosts /state/known_hosts.jobs",
        "-J",
        "me@login.example",
        "uprod@10.0.0.4",
    ]


async def test_passphrase_dialog_is_masked_and_returns_the_text(running_app: Running) -> None:
    import asyncio
    from pathlib import Path

    from textual.widgets import Input

    from tui.app.screens.dialogs.passphrase import PassphraseDialog

    app, pilot = running_app
    answer = asyncio.ensure_future(app.ask_passphrase(Path("/keys/id_ed25519")))
    await wait_until(
        lambda: isinstance(app.screen, PassphraseDialog), pause=pilot.pause, what="dialog"
    )
    field = app.screen.query_one(Input)
    assert field.password is True
    await pilot.press(*"s3cret", "enter")
    await wait_until(answer.done, pause=pilot.pause, what="answer")
    assert answer.result() == "s3cret"
    cancelled = asyncio.ensure_future(app.ask_passphrase(Path("/keys/id_rsa")))
    await wait_until(
        lambda: isinstance(app.screen, PassphraseDialog), pause=pilot.pause, what="second dialog"
    )
    await pilot.press("escape")
    await wait_until(cancelled.done, pause=pilot.pause, what="cancel")
    assert cancelled.result() is None


async def test_a_job_near_its_time_limit_warns_once_and_marks_its_shell_tabs(
    running_app: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, pilot = running_app
    await open_shell(app, pilot)
    # The demo has no time limits; give cfd-wing one, as Slurm reports it.
    monkeypatch.setattr(
        app.provider, "time_warning", lambda job: "6 min left" if job.name == "cfd-wing" else None
    )
    await app.main_screen.refresh_now()
    await app.main_screen.refresh_now()
    tab = app.terminals.query_one(TabbedContent).get_tab("shell-1")
    await wait_until(
        lambda: str(tab.label).endswith("@master-0 ⚠ 6 min left"),
        pause=pilot.pause,
        what="the warning on the tab",
    )
    assert app.time_warnings == {"demo:4207": "6 min left"}

    def notes() -> list[str]:
        return [n.message for n in app._notifications if n.title == "Time limit"]

    await wait_until(notes, pause=pilot.pause, what="the time-limit notice")
    await pilot.pause()
    assert notes() == [
        "cfd-wing: 6 min left of its time limit. Its shells and tunnels close when it ends."
    ]
