"""TerminalView over SshShellBackend against a real OpenSSH sshd: size, colours, full-screen
programs, exit status, a killed sshd and reconnect, an unknown host key."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.conftest import require_binary, wait_until
from tests.integration.sshd import SshdServer
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend
from widgets.terminal.view import TerminalView

pytestmark = pytest.mark.sshd


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


async def run_line(view: TerminalView, pilot: Pilot[None], command: str, expect: str) -> None:
    view.send(command.encode() + b"\r")
    await wait_until(
        lambda: has(view, expect),
        pause=pilot.pause,
        within=15,
        what=f"{expect!r} after {command!r}",
    )


async def started(pilot: Pilot[None]) -> TerminalView:
    view = pilot.app.query_one(TerminalView)
    await wait_until(lambda: view.running, pause=pilot.pause, within=15, what="shell up")
    # A prompt-independent marker: the shell is ready for input.
    await run_line(view, pilot, "export PS1='$ '; echo READY-$((40+2))", "READY-42")
    return view


async def test_stty_size_follows_the_widget(pool: SshPool, sshd: SshdServer) -> None:
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await started(pilot)
        await run_line(view, pilot, "stty size", "30 100")
        await pilot.resize_terminal(120, 40)
        await wait_until(
            lambda: view.content_size.width == 120, pause=pilot.pause, what="widget resized"
        )
        await run_line(view, pilot, "clear; stty size", "40 120")


async def test_colours_render(pool: SshPool, sshd: SshdServer) -> None:
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await started(pilot)
        view.send(
            b"clear; printf '\\033[31mRED\\033[0m \\033[38;2;10;200;30mTRUE\\033[0m "
            b"\\033[1;38;5;208mORANGE\\033[0m\\n'\r"
        )
        await wait_until(
            lambda: has(view, "RED TRUE ORANGE"), pause=pilot.pause, what="coloured line"
        )
        row = next(y for y, text in enumerate(view.screen_text()) if "RED TRUE" in text)
        line = view.screen_text()[row]
        red = view.cell_style(line.index("RED"), row)
        true = view.cell_style(line.index("TRUE"), row)
        orange = view.cell_style(line.index("ORANGE"), row)
        plain = view.cell_style(line.index("RED") + 3, row)
        assert red.color is not None and red.color.number == 1
        assert true.color == Color.from_rgb(10, 200, 30)
        assert orange.color is not None and orange.color.number == 208 and orange.bold
        assert plain.color is None or plain.color.is_default


async def test_full_screen_program_enters_and_leaves_the_alternate_screen(
    pool: SshPool, sshd: SshdServer
) -> None:
    require_binary("less")
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await started(pilot)
        await run_line(view, pilot, "echo BEFORE-LESS", "BEFORE-LESS")
        view.send(b"seq 1000 | TERM=xterm-256color less\r")
        await wait_until(
            lambda: view.is_alternate_screen,
            pause=pilot.pause,
            within=15,
            what="less on the alternate screen",
        )
        await wait_until(lambda: has(view, "29"), pause=pilot.pause, what="less page")
        assert not has(view, "BEFORE-LESS")
        view.send(b" ")  # next page
        await wait_until(lambda: has(view, "58"), pause=pilot.pause, what="second page")
        view.send(b"q")
        await wait_until(
            lambda: not view.is_alternate_screen, pause=pilot.pause, what="back to the main screen"
        )
        assert has(view, "BEFORE-LESS")
        await run_line(view, pilot, "echo STILL-USABLE", "STILL-USABLE")


async def test_exit_shows_the_status(pool: SshPool, sshd: SshdServer) -> None:
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await started(pilot)
        view.send(b"exit 5\r")
        await wait_until(lambda: view.state == "exited", pause=pilot.pause, what="exit")
        assert "exited with status 5" in (view.status_text or "")


async def test_killed_sshd_disconnects_and_r_reconnects(pool: SshPool, sshd: SshdServer) -> None:
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await started(pilot)
        await run_line(view, pilot, "echo BEFORE-DROP", "BEFORE-DROP")
        sshd.stop()
        await wait_until(
            lambda: view.state == "exited", pause=pilot.pause, within=15, what="disconnect noticed"
        )
        assert (view.status_text or "").startswith("[disconnected:")
        assert has(view, "BEFORE-DROP")  # the scrollback stays
        sshd.start()
        await pilot.press("r")
        await wait_until(lambda: view.running, pause=pilot.pause, within=15, what="reconnected")
        await run_line(view, pilot, "echo AFTER-RECONNECT", "AFTER-RECONNECT")


async def test_unknown_host_key_is_refused(tmp_path: Path, sshd: SshdServer) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    pool = SshPool(known_hosts_paths=[empty], use_agent=False)
    app = Host(SshShellBackend(pool, sshd.target()))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            view = app.query_one(TerminalView)
            await wait_until(
                lambda: view.state == "exited", pause=pilot.pause, within=15, what="refused"
            )
            status = view.status_text or ""
            assert "Unknown host key" in status and "SHA256:" in status
            assert sshd.accepted_logins() == 0
    finally:
        await pool.close()


async def failed_status(backend: SshShellBackend) -> str:
    """Run `backend` in a terminal until it ends; return the status line it shows."""
    app = Host(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(TerminalView)
        await wait_until(
            lambda: view.state == "exited", pause=pilot.pause, within=20, what="session ended"
        )
        assert app.is_running
        return view.status_text or ""


async def test_refused_port_says_so(pool: SshPool, sshd: SshdServer) -> None:
    from tests.integration.sshd import free_port

    port = free_port()
    status = await failed_status(SshShellBackend(pool, sshd.target(port=port)))
    assert f"connection refused by 127.0.0.1:{port}" in status
    assert "press r to retry" in status


async def test_wrong_key_says_which_keys_were_tried(
    tmp_path: Path, pool: SshPool, sshd: SshdServer
) -> None:
    from tests.integration.sshd import keygen

    stranger = keygen(tmp_path / "stranger")
    status = await failed_status(SshShellBackend(pool, sshd.target(key_path=stranger)))
    assert "stranger" in status
    assert "failed:" in status


async def test_remote_closing_at_once_shows_its_status(pool: SshPool, sshd: SshdServer) -> None:
    status = await failed_status(SshShellBackend(pool, sshd.target(), command="exit 4"))
    assert "exited with status 4" in status


async def test_a_big_output_lands_whole_in_the_scrollback(pool: SshPool, sshd: SshdServer) -> None:
    """200,000 numbered lines (several MB, the backlog fast path) end on the right screen and
    leave exactly the last 10,000 lines before it in the scrollback, in order."""
    app = Host(SshShellBackend(pool, sshd.target()))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await started(pilot)
        await run_line(view, pilot, "seq -f 'line %06g' 1 200000; echo SEQ-$((1+1))", "SEQ-2")
        emulator = view.model.emulator
        rows = view.screen_text()
        end = rows.index("SEQ-2")
        assert rows[end - 1] == "line 200000"
        assert emulator.history_size == view.scrollback == 10_000
        history = ["".join(emulator.line_cells(i)).rstrip() for i in range(10_000)]
        first = int(history[0].split()[1])
        assert history == [f"line {n:06d}" for n in range(first, first + 10_000)]
        assert first + 10_000 + end - 1 == 200_000  # no line lost or doubled at the seam
        await pilot.press("shift+pageup")
        assert view.scrolled_back == 23
        assert view.screen_text()[1] == history[-22]
