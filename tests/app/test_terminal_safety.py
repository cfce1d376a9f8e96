"""The terminal cannot be turned against its user, checked on what a demo node's PTY receives:
clipboard queries and window-title reports get no answer, and a paste arrives with escapes,
C1 controls, NUL and bidi overrides replaced by spaces, bracketed or not."""

from __future__ import annotations

import pytest
from textual import events
from textual.pilot import Pilot

from tests.app.test_clipboard_app import node_dir
from tests.app.test_shells import open_shell
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]


def has(view: TerminalView, needle: str) -> bool:
    return any(needle in row for row in view.screen_text())


async def capture(
    view: TerminalView, pilot: Pilot[None], before: str, name: str, size: int
) -> None:
    """Run `before` on a raw, silent tty, then keep the next `size` bytes it reads in `name`.
    The markers are printed with `%s` so the echo of the command line does not match them."""
    view.send(
        f"stty raw -echo; {before}printf 'RA%sDY\\r\\n' WRE; head -c {size} > {name}; "
        "stty sane; printf 'SA%sED\\n' V\r".encode()
    )
    await wait_until(lambda: has(view, "RAWREDY"), pause=pilot.pause, within=15, what="raw tty")


async def captured(app: ClusterdeckApp, pilot: Pilot[None], view: TerminalView, name: str) -> bytes:
    await wait_until(lambda: has(view, "SAVED"), pause=pilot.pause, within=15, what=name)
    return (node_dir(app) / name).read_bytes()


QUERIES = (
    "\\033]52;c;?\\007"  # OSC 52 clipboard read (BEL)
    "\\033]52;p;?\\033\\\\"  # ... of the primary selection (ST)
    "\\033[21t"  # report the window title
    "\\033[20t"  # report the icon label
    "\\033[5n"  # device status: the one answer expected, `ESC [ 0 n`
)


async def test_clipboard_and_title_queries_get_no_answer(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    view.send(b"printf '\\033]0;secret title\\007'\r")
    # Whatever answers the terminal sent would reach the node's tty before the DSR answer.
    await capture(view, pilot, f"printf '{QUERIES}'; ", "replies.bin", 4)
    assert await captured(app, pilot, view, "replies.bin") == b"\x1b[0n"


PASTE = "a\x1b[201~b\x9bc\x00d\u202ee\u2066f\u2069g\x03h\x15i\x7fj\tk"
"""ESC ending the bracket, CSI as C1, NUL, bidi override and isolates, ^C, ^U, DEL, TAB."""
ARRIVES = b"a [201~b c d e f g h i j\tk"


@pytest.mark.parametrize("bracketed", [False, True])
async def test_a_hostile_paste_arrives_with_controls_replaced(
    running_app: Running, bracketed: bool
) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    expected = b"\x1b[200~" + ARRIVES + b"\x1b[201~" if bracketed else ARRIVES
    mode = "printf '\\033[?2004h'; " if bracketed else ""
    await capture(view, pilot, mode, "paste.bin", len(expected))
    assert view.bracketed_paste is bracketed
    app.post_message(events.Paste(PASTE))  # as the outer terminal pastes it
    assert await captured(app, pilot, view, "paste.bin") == expected
