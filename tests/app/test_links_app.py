"""An OSC 8 link printed on a demo node opens only after a confirm that shows its URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label

from tests.app.test_shells import open_shell
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.dialogs.confirm import ConfirmDialog
from tui.app.screens.shells.links import link_problem
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]


async def print_link(pilot: Pilot[None], view: TerminalView, url: str) -> tuple[int, int]:
    """Make the node print a link to `url`; the cell of its text."""
    view.send(f"printf 'go \\033]8;;{url}\\033\\\\HERE-%s\\033]8;;\\033\\\\\\n' LINK\r".encode())
    await wait_until(
        lambda: any(row.startswith("go HERE-LINK") for row in view.screen_text()),
        pause=pilot.pause,
        what="the link",
    )
    row = next(y for y, text in enumerate(view.screen_text()) if text.startswith("go HERE-LINK"))
    return 5, row


async def test_a_link_opens_after_the_confirm(
    running_app: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o700)
    monkeypatch.setenv("BROWSER", f"{browser} %s")
    app, pilot = running_app
    view = await open_shell(app, pilot)
    url = "https://example.com/docs?q=1"
    await pilot.click(view, offset=await print_link(pilot, view, url))
    await wait_until(lambda: isinstance(app.screen, ConfirmDialog), pause=pilot.pause)
    assert url in str(app.screen.query_one(Label).render())
    await pilot.press("escape")  # cancel: nothing opens
    await wait_until(lambda: not isinstance(app.screen, ConfirmDialog), pause=pilot.pause)
    assert not opened.exists()
    await pilot.click(view, offset=await print_link(pilot, view, url))
    await wait_until(lambda: isinstance(app.screen, ConfirmDialog), pause=pilot.pause)
    await pilot.press("y")
    await wait_until(opened.exists, pause=pilot.pause, what="the browser")
    assert opened.read_text() == url + "\n"


async def test_a_file_link_is_refused(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    await pilot.click(view, offset=await print_link(pilot, view, "file:///etc/passwd"))
    await wait_until(
        lambda: any(n.title == "Link not opened" for n in app._notifications),
        pause=pilot.pause,
        what="the refusal",
    )
    assert not isinstance(app.screen, ConfirmDialog)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/", True),
        ("HTTP://example.com/", True),
        ("mailto:ada@example.com", True),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("vscode://open?x", False),
        ("example.com", False),
    ],
)
def test_openable_schemes(url: str, ok: bool) -> None:
    assert (link_problem(url) is None) is ok
