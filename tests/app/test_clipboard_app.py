"""The clipboard bridge in the app, on demo nodes: into a shell, into a file, and back."""

from __future__ import annotations

import base64
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.app.test_shells import open_shell
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.clipboard.screen import ClipboardScreen, PasteConfirmDialog
from widgets.tables.node import NodeTable
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]


def node_dir(app: ClusterdeckApp, node: str = "master-0") -> Path:
    return app.settings.state_dir / "demo" / "nodes" / "4207" / node


async def capture_into(
    view: TerminalView, pilot: Pilot[None], name: str, size: int, *, bracketed: bool = False
) -> None:
    """Make the shell copy exactly `size` raw bytes of input into file `name`."""
    mode = "printf '\\033[?2004h'; " if bracketed else ""
    view.send(f"stty raw -echo; {mode}head -c {size} > {name}; stty sane; echo SAVED\r".encode())
    await wait_until(
        lambda: view.bracketed_paste == bracketed, pause=pilot.pause, what="paste mode"
    )
    await pilot.pause()


async def saved(app: ClusterdeckApp, pilot: Pilot[None], view: TerminalView, name: str) -> bytes:
    await wait_until(
        lambda: any("SAVED" in row for row in view.screen_text()),
        pause=pilot.pause,
        within=15,
        what=f"{name} written",
    )
    return (node_dir(app) / name).read_bytes()


async def test_push_into_a_shell_single_line_goes_straight_in(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    text = "echo 日本語 🚀 ascii"
    app.bridge.write_local(text)
    size = len(text.encode())
    await capture_into(view, pilot, "single.txt", size)
    await pilot.press("alt+v")
    assert await saved(app, pilot, view, "single.txt") == text.encode()
    assert app.bridge.history[0].direction == "to-cluster"
    assert app.bridge.history[0].how == "shell"


async def test_multiline_paste_without_bracketing_is_confirmed(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    text = "line one\r\nline two\nline three"
    app.bridge.write_local(text)
    expected = text.replace("\r\n", "\r").replace("\n", "\r").encode()  # Enter sends CR
    await capture_into(view, pilot, "multi.txt", len(expected))
    await pilot.press("alt+v")
    await wait_until(
        lambda: isinstance(app.screen, PasteConfirmDialog), pause=pilot.pause, what="confirm dialog"
    )
    assert "3 lines" in str(app.screen.query_one("Label").render())
    await pilot.click("#paste")
    assert await saved(app, pilot, view, "multi.txt") == expected


async def test_bracketed_paste_is_framed_and_an_injection_is_inert(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    attack = "safe\x1b[201~rm -rf x\n"
    app.bridge.write_local(attack)
    body = b"safe [201~rm -rf x\n"
    expected = b"\x1b[200~" + body + b"\x1b[201~"
    await capture_into(view, pilot, "bracketed.txt", len(expected), bracketed=True)
    await pilot.press("alt+v")
    data = await saved(app, pilot, view, "bracketed.txt")
    assert data == expected
    assert data.count(b"\x1b[201~") == 1  # the pasted text could not close the bracket


async def test_osc52_from_the_node_reaches_the_local_clipboard(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    payload = base64.b64encode("copied on the node ✓".encode()).decode()
    view.send(f"printf '\\033]52;c;{payload}\\007'\r".encode())
    await wait_until(
        lambda: app.bridge.from_cluster == "copied on the node ✓",
        pause=pilot.pause,
        what="OSC 52 received",
    )
    assert app.bridge.read_local() == "copied on the node ✓"
    assert app.bridge.history[0].how == "OSC 52"


async def test_send_to_file_from_the_dashboard_is_exact_and_private(running_app: Running) -> None:
    app, pilot = running_app
    app.main_screen.query_one(NodeTable).focus()
    for text in ("ascii only", "日本語 🚀 emoji", "crlf\r\nline\r\n", "x" * 1_000_000 + "\n"):
        app.bridge.write_local(text)
        await pilot.press("alt+v")
        target = node_dir(app) / "clipboard.txt"

        def written(t: str = text, f: Path = target) -> bool:
            return f.exists() and f.read_bytes() == t.encode()

        await wait_until(
            written,
            pause=pilot.pause,
            within=15,
            what="remote file written",
        )
        assert target.stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in node_dir(app).iterdir() if "clusterdeck-" in p.name]
    assert leftovers == []


async def test_bridge_screen_fetches_a_file_and_lists_transfers(running_app: Running) -> None:
    app, pilot = running_app
    (node_dir(app) / "results.txt").write_text("residual 1e-6\n")
    app.main_screen.query_one(NodeTable).focus()
    await pilot.press("c")
    await wait_until(
        lambda: isinstance(app.screen, ClipboardScreen), pause=pilot.pause, what="bridge screen"
    )
    path_input = app.screen.query_one("#clipboard-path")
    path_input.value = "results.txt"  # type: ignore[attr-defined]
    await pilot.press("g")
    await wait_until(
        lambda: app.bridge.from_cluster == "residual 1e-6\n", pause=pilot.pause, what="fetched"
    )
    assert app.bridge.read_local() == "residual 1e-6\n"
    table = app.screen.query_one("#clipboard-history", DataTable)
    await wait_until(
        lambda: table.row_count == 1,
        pause=pilot.pause,
        what="history row",
    )


async def test_empty_clipboard_says_so(running_app: Running) -> None:
    app, pilot = running_app
    app.main_screen.query_one(NodeTable).focus()
    await pilot.press("alt+v")
    await wait_until(
        lambda: any("empty" in n.message for n in app._notifications),
        pause=pilot.pause,
        what="empty notice",
    )
    assert not (node_dir(app) / "clipboard.txt").exists()


async def test_one_megabyte_into_a_shell_arrives_exactly(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    text = ("0123456789abcdef日本🚀" * 40_000)[:720_000]  # just under 1 MB of UTF-8, one line
    app.bridge.write_local(text)
    data = text.encode()
    assert 900_000 < len(data) <= 1_000_000  # at the limit, still without a confirm
    await capture_into(view, pilot, "big.txt", len(data))
    await pilot.press("alt+v")
    assert await saved(app, pilot, view, "big.txt") == data


async def test_app_copies_go_through_the_bridge(running_app: Running) -> None:
    app, _ = running_app
    app.copy_to_clipboard("ssh-ed25519 AAAA... ada@ws")
    assert app.bridge.read_local() == "ssh-ed25519 AAAA... ada@ws"
    assert app.clipboard == "ssh-ed25519 AAAA... ada@ws"  # OSC 52 fallback used in tests
