"""A shell tab's label says how its session ended: exited, failed or disconnected, with why."""

from __future__ import annotations

import socket

from textual.widgets import TabbedContent

from tests.apphelpers import Running
from tests.conftest import wait_until
from tui.app.screens.shells.labels import ended_label
from tui.core.models import SshTarget
from tui.core.ssh import SshShellBackend
from widgets.terminal import TerminalExit


def test_the_suffix_names_the_kind_and_the_reason() -> None:
    assert ended_label(TerminalExit("exited with status 0", exit_status=0)) == " (exited)"
    assert ended_label(TerminalExit("connection lost: reset by peer", disconnected=True)) == (
        " (disconnected: reset by peer)"
    )
    refused = TerminalExit(
        "failed: SSH host unreachable: connection refused by 127.0.0.1:1 — is sshd running there?",
        disconnected=True,
    )
    assert ended_label(refused) == " (failed: connection refused by 127.0.0.1:1)"
    long = TerminalExit("failed: " + "x" * 80, disconnected=True)
    assert ended_label(long) == f" (failed: {'x' * 39}…)"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_refused_connection_is_labelled_failed_and_stays_so(running_app: Running) -> None:
    app, pilot = running_app
    job = app.main_screen.selected
    assert job is not None
    target = SshTarget(host="127.0.0.1", port=closed_port(), user="nobody")
    await app.push_screen(app.terminals)
    view = await app.terminals.open_tab(
        "nobody@gone", SshShellBackend(app.pool, target), target, job.key
    )
    await wait_until(lambda: view.state == "exited", pause=pilot.pause, what="the failure")
    tab = app.terminals.query_one(TabbedContent).get_tab("shell-1")
    await wait_until(lambda: "(failed" in str(tab.label), pause=pilot.pause, what="the label")
    assert str(tab.label).startswith("nobody@gone (failed: ")
    assert "refused" in str(tab.label)
    # The watcher's time-limit updates relabel the tabs of jobs: the label must not change.
    app.terminals.set_time_warnings({job.key: "6 min left"})
    assert str(tab.label).startswith("nobody@gone (failed: ")
    assert str(tab.label).endswith(" ⚠ 6 min left")
    app.terminals.set_time_warnings({})
    assert "(exited)" not in str(tab.label) and "refused" in str(tab.label)
