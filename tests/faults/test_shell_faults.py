"""Faults under an embedded shell (TerminalView over SshShellBackend) against a real sshd.

(a) an idle shell, (b) a shell flooding `cat` of a big file: every fault ends in the view's
`exited` state with a `[disconnected: ...]` status within a bound, the scrollback stays, the app
keeps running, and `r` reconnects once sshd can be reached again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.faults.faults import CAT_BYTES, KINDS, MB, NOTICE, RECOVER, Fault, Timeline
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend
from widgets.terminal.view import TerminalView

pytestmark = pytest.mark.sshd

LINE = 100
"""Bytes per line of the flood file (an 8-digit number, a space, padding, a newline)."""


class Host(App[None]):
    def __init__(self, backend: SshShellBackend) -> None:
        super().__init__()
        self.backend = backend

    def compose(self) -> ComposeResult:
        yield TerminalView(self.backend)

    def on_mount(self) -> None:
        self.query_one(TerminalView).focus()


def has(view: TerminalView, needle: str) -> bool:
    return any(needle in row for row in view.screen_text())


async def run_line(view: TerminalView, pilot: Pilot[None], timeline: Timeline, cmd: str) -> None:
    """Run `cmd; echo OK-<n>` and wait for its marker (computed remotely, so not our echo)."""
    marker = f"OK-{len(cmd) + 40}"
    view.send(f"{cmd}; echo OK-$(({len(cmd)}+40))\r".encode())
    await timeline.reach(
        f"shell answered {cmd!r}", lambda: has(view, marker), within=RECOVER, pause=pilot.pause
    )


async def shell_up(view: TerminalView, pilot: Pilot[None], timeline: Timeline) -> None:
    await timeline.reach("shell running", lambda: view.running, within=RECOVER, pause=pilot.pause)


async def disconnected(
    view: TerminalView, pilot: Pilot[None], fault: Fault, timeline: Timeline
) -> None:
    """Inject the fault; the view must say `disconnected` within the bound."""
    timeline.mark()
    await fault.inject()
    await timeline.reach(
        "exited",
        lambda: view.state == "exited",
        within=NOTICE,
        pause=pilot.pause,
        detail=lambda: view.status_text,
    )
    status = view.status_text or ""
    assert status.startswith("[disconnected: connection lost"), status
    assert status.endswith("press r to reconnect]"), status


async def reconnects(
    view: TerminalView, pilot: Pilot[None], fault: Fault, timeline: Timeline
) -> None:
    """Heal the fault, press r: a new shell answers."""
    await fault.heal()
    timeline.mark()
    await pilot.press("r")
    await timeline.reach("running again", lambda: view.running, within=RECOVER, pause=pilot.pause)
    await run_line(view, pilot, timeline, "echo after")


@pytest.mark.parametrize("fault", KINDS, indirect=True)
async def test_idle_shell(pool: SshPool, fault: Fault, timeline: Timeline) -> None:
    app = Host(SshShellBackend(pool, fault.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(TerminalView)
        await shell_up(view, pilot, timeline)
        await run_line(view, pilot, timeline, "echo BEFORE-FAULT")
        await disconnected(view, pilot, fault, timeline)
        assert has(view, "BEFORE-FAULT")  # the screen and scrollback stay
        assert app.is_running
        await reconnects(view, pilot, fault, timeline)


def flood_file(path: Path, size: int) -> int:
    """Numbered lines of `LINE` bytes, `size` bytes in all; returns the number of lines."""
    lines = size // LINE
    pad = "x" * (LINE - 10)
    with path.open("w") as out:
        for start in range(0, lines, 10_000):
            out.write("".join(f"{i:08d} {pad}\n" for i in range(start, min(lines, start + 10_000))))
    return lines


def numbers_on_screen(view: TerminalView) -> list[int]:
    """The numbers of the flood lines on screen (a line cut short by the fault may end it)."""
    return [int(row[:8]) for row in view.screen_text() if len(row) > 8 and row[:8].isdigit()]


def last_number(view: TerminalView) -> int:
    return max(numbers_on_screen(view), default=-1)


@pytest.mark.parametrize("fault", KINDS, indirect=True)
async def test_cat_of_a_big_file(pool: SshPool, fault: Fault, timeline: Timeline) -> None:
    big = fault.sshd.shared_dir() / "flood.txt"  # the login user cannot read tmp_path
    lines = flood_file(big, CAT_BYTES)
    app = Host(SshShellBackend(pool, fault.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(TerminalView)
        await shell_up(view, pilot, timeline)
        await run_line(view, pilot, timeline, "echo BEFORE-FLOOD")
        view.send(f"cat {big}\r".encode())
        # Well under way (a megabyte on screen), far from done: then the fault. (Polled with
        # plain event-loop turns: `pilot.pause` would wait until the flood is over.)
        await timeline.reach(
            "flood on screen", lambda: last_number(view) > MB // LINE, within=RECOVER
        )
        await disconnected(view, pilot, fault, timeline)
        seen = last_number(view)
        assert 0 < seen < lines - 1, f"the fault came too late: line {seen} of {lines} shown"
        shown = numbers_on_screen(view)
        assert shown == list(range(shown[0], shown[0] + len(shown)))  # in order, intact
        await reconnects(view, pilot, fault, timeline)
