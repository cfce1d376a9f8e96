"""Broadcast input on demo nodes: one command typed once runs in three shells on three nodes."""

from __future__ import annotations

from pathlib import Path

from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent

from tests.app.test_shells import open_shell
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key into the focused shell, then enter."""
    await pilot.press(*(ch if ch.isalnum() else _character_to_key(ch) for ch in text), "enter")


async def three_shells(app: ClusterdeckApp, pilot: Pilot[None]) -> list[TerminalView]:
    views = []
    for row in range(3):
        if app.screen is app.terminals:
            await pilot.press("ctrl+right_square_bracket")
            await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause)
        views.append(await open_shell(app, pilot, row=row))
    return views


def labels(app: ClusterdeckApp) -> list[str]:
    tabs = app.terminals.query_one(TabbedContent)
    return [str(tabs.get_tab(f"shell-{n}").label) for n in (1, 2, 3)]


def files(folder: Path, prefix: str) -> dict[str, str]:
    return {p.name: p.read_text().strip() for p in folder.glob(f"{prefix}-*")}


async def test_typing_into_every_tab_of_the_job(running_app: Running, tmp_path: Path) -> None:
    app, pilot = running_app
    shared = tmp_path / "shared"
    shared.mkdir()
    views = await three_shells(app, pilot)
    nodes = sorted(app.terminals.label_of(view).split("@")[-1] for view in views)
    assert len(set(nodes)) == 3
    for view in views:  # not broadcast: `send` writes to one remote
        view.send(f"S={shared}\r".encode())
    await pilot.press("alt+shift+b")  # every tab of this job
    assert app.terminals.broadcast.views == views
    assert all(label.startswith("⇶ BROADCAST ") for label in labels(app))
    hint = app.terminals.query_one("#terminal-hint", Static)
    assert hint.has_class("-broadcast") and "goes to 3 tabs" in str(hint.render())
    await type_text(pilot, 'basename "$PWD" > $S/x-$$')
    await wait_until(lambda: len(files(shared, "x")) == 3, pause=pilot.pause, what="three files")
    await wait_until(
        lambda: sorted(files(shared, "x").values()) == nodes,
        pause=pilot.pause,
        what="one file from each node",
    )

    await pilot.press("alt+x")  # broadcast off: back to one tab
    assert app.terminals.broadcast.views == []
    assert not hint.has_class("-broadcast")
    assert not any("BROADCAST" in label for label in labels(app))
    await type_text(pilot, 'basename "$PWD" > $S/solo-$$')
    await wait_until(lambda: files(shared, "solo"), pause=pilot.pause, what="solo file")
    for view in views:  # wait for every shell's prompt to come back before counting
        view.send(b"echo DONE-$((6*7))\r")
    await wait_until(
        lambda: all(any("DONE-42" in row for row in v.screen_text()) for v in views),
        pause=pilot.pause,
        what="every shell idle",
    )
    assert list(files(shared, "solo").values()) == [
        app.terminals.label_of(views[-1]).split("@")[-1]
    ]


async def test_marked_tabs_share_a_paste_each_in_its_own_mode(
    running_app: Running, tmp_path: Path
) -> None:
    app, pilot = running_app
    views = await three_shells(app, pilot)
    first, _, third = views
    await pilot.press("alt+b")  # mark the third tab
    await pilot.press("ctrl+pagedown")
    await wait_until(lambda: app.terminals.active_view is first, pause=pilot.pause)
    await pilot.press("alt+b")  # and the first
    assert app.terminals.broadcast.views == [third, first]
    # The first asks for bracketed paste, the third does not; the second is not marked.
    out = {view: tmp_path / f"paste-{n}" for n, view in enumerate(views)}
    for view, path in out.items():
        mode = "printf '\\033[?2004h'; " if view is first else ""
        view.send(f"stty raw -echo; {mode}printf 'R%sY\\r\\n' AW; cat > {path}\r".encode())
    await wait_until(
        lambda: all(any("RAWY" in row for row in v.screen_text()) for v in views),
        pause=pilot.pause,
        what="raw ttys",
    )
    assert first.bracketed_paste and not third.bracketed_paste
    app.bridge.write_local("echo hi\x1b[201~\x00\u202e!")
    await pilot.press("alt+v")
    body = b"echo hi [201~  !"
    await wait_until(
        lambda: out[third].read_bytes() == body and len(out[first].read_bytes()) > len(body),
        pause=pilot.pause,
        what="the paste in both marked tabs",
    )
    assert out[first].read_bytes() == b"\x1b[200~" + body + b"\x1b[201~"
    assert out[views[1]].read_bytes() == b""  # not marked: nothing
