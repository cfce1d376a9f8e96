"""Persistent shells in the whole app against a real sshd with tmux (the inventory provider)."""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import wait_until
from tests.integration.sshd import SshdServer, running_sshd
from tests.integration.test_persistent_shell import sshd_without_tmux  # noqa: F401 - fixture
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.app.quitting import QuitDialog
from tui.app.screens.shells.close_dialog import CloseTabDialog
from tui.app.screens.shells.sessions import SessionsScreen
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.ssh.persistent import RemoteSessions
from tui.core.ssh.pool import SshPool
from widgets.tables.node import NodeTable
from widgets.terminal.view import TerminalView

pytestmark = pytest.mark.sshd


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SshdServer]:
    with running_sshd(tmp_path / "sshd") as sshd:
        yield sshd


def settings_for(tmp_path: Path, sshd: SshdServer, cluster: str) -> Settings:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    node = {"name": "n1", "host": "127.0.0.1", "port": sshd.port, "key": str(sshd.client_key)}
    provider = ProviderConfig(
        "lab",
        "inventory",
        {"user": sshd.user, "clusters": [{"name": cluster, "nodes": [node]}]},
        persistent="tmux",
    )
    settings = Settings(state_dir=state, providers=(provider,), poll_interval=0.5)
    sshd.write_known_hosts(settings.known_hosts_path)
    return settings


async def open_shell(app: ClusterdeckApp, pilot: Pilot[None]) -> TerminalView:
    nodes = app.main_screen.query_one(NodeTable)
    await wait_until(lambda: len(nodes.row_keys) == 1, pause=pilot.pause, within=20, what="node")
    nodes.focus()
    await pilot.press("enter")
    await wait_until(
        lambda: bool(app.terminals.views) and app.terminals.views[0].running,
        pause=pilot.pause,
        within=20,
        what="a shell",
    )
    return app.terminals.views[0]


def tab_label(app: ClusterdeckApp) -> str:
    from textual.widgets import TabbedContent

    tabs = app.terminals.query_one(TabbedContent)
    return str(tabs.get_tab(tabs.active).label)


def shows(view: TerminalView, line: str) -> bool:
    return any(row.strip() == line for row in view.screen_text())


async def kill_ours(sshd: SshdServer, settings: Settings, cluster: str) -> None:
    pool = SshPool(known_hosts_paths=[settings.known_hosts_path], use_agent=False)
    try:
        script = (
            "tmux list-sessions -F '#{session_name}' 2>/dev/null | grep -F -- "
            f'{shlex.quote("cd-" + cluster)} | while read -r s; do tmux kill-session -t "=$s"; '
            "done; true"
        )
        await pool.run(sshd.target(), script, timeout=10)
    finally:
        await pool.close()


async def test_a_tab_survives_a_drop_and_a_restart_of_the_app(
    tmp_path: Path, server: SshdServer
) -> None:
    cluster = f"c{uuid.uuid4().hex[:6]}"
    settings = settings_for(tmp_path, server, cluster)
    try:
        app = make_app(settings, clock=SystemClock())
        async with app.run_test(size=(120, 36)) as pilot:
            view = await open_shell(app, pilot)
            await wait_until(lambda: "· tmux" in tab_label(app), pause=pilot.pause, what="tag")
            shell = app.terminals.persistent_of(view)
            assert shell is not None and shell.name == f"cd-{cluster}-n1-1"
            await wait_until(lambda: "$" in "".join(view.screen_text()), pause=pilot.pause)
            view.send(b"sleep 5; echo survived\r")
            await wait_until(
                lambda: any("sleep 5" in row for row in view.screen_text()), pause=pilot.pause
            )
            server.stop()
            await wait_until(
                lambda: "reattaching" in tab_label(app), pause=pilot.pause, what="reattaching"
            )
            server.start()
            await wait_until(
                lambda: shows(view, "survived"), pause=pilot.pause, within=30, what="survived"
            )
            assert view.running and shell.attempts and "reattaching" not in tab_label(app)
            question = app.terminals.persistent_shells
            assert [s.name for s in question] == [shell.name]
            await pilot.press("ctrl+right_square_bracket")
            await pilot.press("q")  # the quit question says the session keeps running
            dialog = app.screen
            assert isinstance(dialog, QuitDialog)
            assert "keeps running in tmux" in dialog.question
            await pilot.press("q")

        again = make_app(settings, clock=SystemClock())
        async with again.run_test(size=(120, 36)) as pilot:
            await wait_until(
                lambda: bool(again.terminals.restorable),
                pause=pilot.pause,
                within=20,
                what="a session to restore",
            )
            assert [r.session.name for r in again.terminals.restorable] == [f"cd-{cluster}-n1-1"]
            await pilot.press("ctrl+right_square_bracket")
            assert again.screen is again.terminals
            await pilot.press("alt+s")
            await wait_until(
                lambda: bool(again.terminals.views) and again.terminals.views[0].running,
                pause=pilot.pause,
                within=20,
                what="the restored tab",
            )
            restored = again.terminals.views[0]
            await wait_until(
                lambda: shows(restored, "survived"), pause=pilot.pause, within=20, what="history"
            )
            shell = again.terminals.persistent_of(restored)
            assert shell is not None and shell.name == f"cd-{cluster}-n1-1"
            # closing asks: end the session this time
            await pilot.press("ctrl+shift+w")
            await wait_until(lambda: isinstance(again.screen, CloseTabDialog), pause=pilot.pause)
            await pilot.press("e")
            await wait_until(lambda: not again.terminals.views, pause=pilot.pause, what="closed")
            listed = await RemoteSessions(again.pool).ours(server.target())
            assert shell.name not in [s.name for s in listed]
    finally:
        await kill_ours(server, settings, cluster)


async def test_the_node_sessions_list_attaches_renames_and_kills(
    tmp_path: Path, server: SshdServer
) -> None:
    cluster = f"c{uuid.uuid4().hex[:6]}"
    settings = settings_for(tmp_path, server, cluster)
    try:
        app = make_app(settings, clock=SystemClock())
        async with app.run_test(size=(120, 36)) as pilot:
            view = await open_shell(app, pilot)
            shell = app.terminals.persistent_of(view)
            assert shell is not None
            await wait_until(lambda: shell.persistent, pause=pilot.pause)
            await pilot.press("ctrl+shift+w")
            await wait_until(lambda: isinstance(app.screen, CloseTabDialog), pause=pilot.pause)
            await pilot.press("d")  # detach: it keeps running
            await wait_until(lambda: not app.terminals.views, pause=pilot.pause, what="closed")
            app.main_screen.query_one(NodeTable).focus()
            await pilot.press("P")
            screen = app.screen
            assert isinstance(screen, SessionsScreen)
            await wait_until(lambda: screen.loaded, pause=pilot.pause, what="the list")
            assert [s.name for s in screen.listed] == [shell.name]
            await pilot.press("r")
            await pilot.pause()
            for _ in range(len(shell.name)):
                await pilot.press("backspace")
            await pilot.press(*f"mine-{cluster}", "enter")
            await wait_until(
                lambda: [s.name for s in screen.listed] == [f"mine-{cluster}"],
                pause=pilot.pause,
                what="renamed",
            )
            await pilot.press("enter")  # attach
            await wait_until(
                lambda: bool(app.terminals.views) and app.terminals.views[0].running,
                pause=pilot.pause,
                within=20,
                what="attached",
            )
            attached = app.terminals.persistent_of(app.terminals.views[0])
            assert attached is not None and attached.name == f"mine-{cluster}"
            await pilot.press("ctrl+right_square_bracket")
            app.main_screen.query_one(NodeTable).focus()
            await pilot.press("P")
            assert isinstance(app.screen, SessionsScreen)
            second: SessionsScreen = app.screen
            await wait_until(lambda: second.loaded and second.listed, pause=pilot.pause)
            await pilot.press("k")
            await pilot.press("y")  # confirm
            await wait_until(lambda: not second.listed, pause=pilot.pause, what="killed")
            await pilot.press("escape")
            tab = app.terminals.views[0]
            await wait_until(lambda: tab.state == "exited", pause=pilot.pause, what="tab ended")
            assert "ended" in (tab.status_text or "")
    finally:
        await kill_ours(server, settings, cluster)
        await kill_ours(server, settings, f"mine-{cluster}"[3:])


async def test_without_tmux_the_tab_is_plain_and_a_notification_says_why(
    tmp_path: Path,
    sshd_without_tmux: SshdServer,  # noqa: F811
) -> None:
    settings = settings_for(tmp_path, sshd_without_tmux, "notmux")
    app = make_app(settings, clock=SystemClock())
    async with app.run_test(size=(120, 36)) as pilot:
        view = await open_shell(app, pilot)
        await wait_until(lambda: "· plain" in tab_label(app), pause=pilot.pause, what="plain")
        await wait_until(
            lambda: any("tmux is not installed on n1" in n.message for n in app._notifications),
            pause=pilot.pause,
            what="the notification",
        )
        view.send(b"echo plain-$((6*7))\r")
        await wait_until(lambda: shows(view, "plain-42"), pause=pilot.pause, what="a shell")
        assert app.terminals.persistent_shells == []
