"""Persistent shells on the demo's nodes (a real PTY shell on this machine, in tmux)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from textual.widgets import DataTable

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import require_binary, wait_until
from tests.snapshots.conftest import Snap
from tui.app.screens.shells.sessions import SessionsScreen, ago
from tui.core.config.settings import DemoSettings, Settings
from widgets.tables.node import NodeTable


@pytest.fixture
def demo_tmux(settings: Settings) -> Iterator[None]:
    """The demo's own tmux server (in the test's state dir) is killed at the end."""
    require_binary("tmux")
    yield
    env = {**os.environ, "TMUX_TMPDIR": str(settings.state_dir / "demo" / "tmux")}
    env.pop("TMUX", None)
    subprocess.run(["tmux", "kill-server"], env=env, capture_output=True, check=False)


def test_ages_read_as_a_person_would() -> None:
    assert ago(0) == "-"
    assert ago(100, now=112) == "12 s ago"
    assert ago(100, now=100 + 300) == "5 min ago"
    assert ago(100, now=100 + 3 * 3600 + 5) == "3 h ago"
    assert ago(100, now=100 + 2 * 86400) == "2 d ago"


async def test_a_demo_shell_runs_in_tmux_and_survives_a_dropped_connection(
    app_factory: AppFactory, demo_tmux: None, snap: Snap
) -> None:
    app = app_factory(demo=DemoSettings(persistent="auto"))
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
        shell = app.terminals.persistent_of(view)
        assert shell is not None
        await wait_until(lambda: shell.persistent, pause=pilot.pause, what="tmux")
        assert shell.name.startswith("cd-") and shell.name.endswith("-master-0-1")
        view.send(b"echo demo-$((6*7))\r")
        await wait_until(
            lambda: any(row.strip() == "demo-42" for row in view.screen_text()),
            pause=pilot.pause,
            what="output",
        )
        target = app.terminals.target_of(view)
        assert target is not None
        session = app.pool.cached(target)
        assert session is not None
        session.close()  # the connection drops under the tab
        await wait_until(
            lambda: bool(shell.attempts), pause=pilot.pause, what=f"a reattach {view.status_text}"
        )
        await wait_until(lambda: shell.status == "" and view.running, pause=pilot.pause, within=15)
        view.send(b"echo again-$((6*7))\r")
        await wait_until(
            lambda: any(row.strip() == "again-42" for row in view.screen_text()),
            pause=pilot.pause,
            what="the same tab, reattached",
        )
        assert any(row.strip() == "demo-42" for row in view.screen_text()), "kept its screen"

        await pilot.press("ctrl+right_square_bracket")
        app.main_screen.query_one(NodeTable).focus()
        await pilot.press("P")
        assert isinstance(app.screen, SessionsScreen)
        listing: SessionsScreen = app.screen
        await wait_until(lambda: listing.loaded, pause=pilot.pause, what="the list")
        assert [s.name for s in listing.listed] == [shell.name]
        assert listing.listed[0].attached == 1
        created = listing.listed[0].created
        listing.now = lambda: created + 9000  # ages that do not move with the clock
        listing.reload()
        table = listing.query_one(DataTable)
        await wait_until(
            lambda: table.row_count == 1 and table.get_row_at(0)[2] == "2 h ago",
            pause=pilot.pause,
            what="ages",
        )
        await pilot.pause()
        snap(app, "sessions-list")
