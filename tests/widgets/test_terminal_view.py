"""TerminalView in a tiny host app over an in-memory backend: output, input and lifecycle."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import datetime

from rich.color import Color
from rich.style import Style
from textual import events

from tests.widgets.terminal_fakes import FakeBackend, Host, show, started, wait_for
from widgets.terminal import TerminalExit, TerminalView
from widgets.terminal.scanner import PRIMARY_DA_REPLY, SECONDARY_DA_REPLY


def style_of(view: TerminalView, x: int, y: int) -> Style:
    """The style painted at a cell, overlays (cursor, selection) included."""
    segment = next(iter(view.render_line(y).crop(x, x + 1)))
    return segment.style or Style()


def lines(count: int, prefix: str = "line") -> bytes:
    return "".join(f"{prefix} {i}\r\n" for i in range(count)).encode()


async def test_starts_with_its_size_and_shows_styled_text() -> None:
    backend = FakeBackend()
    async with Host(backend).run_test(size=(60, 12)) as pilot:
        view, _ = await started(pilot)
        assert backend.starts == [(60, 12)]
        await show(
            pilot,
            view,
            b"\x1b[38;5;200mA\x1b[48;2;10;20;30mB\x1b[0m\x1b[1mC\x1b[7mD\x1b[0;3;4mE\x1b[0mF",
        )
        assert view.screen_text()[0] == "ABCDEF"
        a, b, c, d, e, f = (view.cell_style(x, 0) for x in range(6))
        assert a.color == Color.from_ansi(200) and a.bgcolor is None
        assert b.bgcolor is not None and b.bgcolor.triplet == (10, 20, 30)
        assert c.bold and not c.reverse
        assert d.bold and d.reverse
        assert e.italic and e.underline and not e.bold
        assert not (f.bold or f.italic or f.reverse) and f.color is None


async def test_wide_characters_take_two_cells() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, "\u4e2d\u6587ab".encode())
        assert view.screen_text()[0] == "\u4e2d\u6587ab"
        assert view.render_line(0).crop(4, 6).text == "ab"
        assert view.model.emulator.cursor == (6, 0)
        await show(pilot, view, "\r\ne\u0301x|".encode())  # avt gives the accent its own cell
        assert view.render_line(1).crop(2, 4).text == "x|"
        assert view.model.emulator.cursor == (4, 1)


async def test_utf8_split_one_byte_per_read() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, *(bytes([b]) for b in "x\u20acy\u4e2d".encode()))
        assert view.screen_text()[0] == "x\u20acy\u4e2d"


async def test_invalid_utf8_and_junk_do_not_crash() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, b"\xff\xfe ok \xc3(", b"\x00\x1b[999;99999H\x1b[?7777h\x1b]\x07Z")
        assert view.screen_text()[0].startswith("\ufffd\ufffd ok \ufffd(")
        assert view.state == "running"


async def test_alternate_screen_restores_the_primary_text() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, b"primary$ ")
        await show(pilot, view, b"\x1b[?1049h\x1b[H\x1b[2JALT SCREEN")
        assert view.is_alternate_screen
        assert view.screen_text()[0] == "ALT SCREEN"
        await show(pilot, view, b"\x1b[?1049l")
        assert not view.is_alternate_screen
        assert view.screen_text()[0] == "primary$"


async def test_scroll_region_keeps_rows_outside_it() -> None:
    async with Host(FakeBackend()).run_test(size=(30, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, b"head\r\nr1\r\nr2\r\nr3\r\nr4\r\nfoot")
        await show(pilot, view, b"\x1b[2;5r\x1b[5;1H\r\nnew1\r\nnew2\x1b[r")
        assert view.screen_text() == ["head", "r3", "r4", "new1", "new2", "foot"]
        assert view.model.emulator.history_size == 0


async def test_keys_go_to_the_remote_and_app_bindings_do_not_fire() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await pilot.press("q", "l", "s", "enter", "up", "ctrl+c", "tab", "escape")
        await wait_for(pilot, lambda: backend.written.endswith(b"\x1b"), "the keys")
        assert backend.take() == b"qls\r\x1b[A\x03\t\x1b"
        assert pilot.app.actions == []  # type: ignore[attr-defined]
        await show(pilot, view, b"\x1b[?1h")
        assert view.application_cursor
        await pilot.press("up", "left")
        await wait_for(pilot, lambda: len(backend.written) == 6, "the arrows")
        assert backend.take() == b"\x1bOA\x1bOD"


async def test_passthrough_keys_reach_the_app() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        _, backend = await started(pilot)
        await pilot.press("ctrl+pagedown", "x")
        await wait_for(pilot, lambda: backend.written == b"x", "the x")
        assert pilot.app.actions == ["next-tab"]  # type: ignore[attr-defined]


async def test_priority_app_bindings_and_keymaps_yield_to_the_terminal() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, lines(20))
        await pilot.press("ctrl+p")  # Textual's command palette is a priority binding
        await wait_for(pilot, lambda: backend.written == b"\x10", "ctrl+p")
        assert len(app.screen_stack) == 1
        app.set_keymap({"terminal-scroll-back": "ctrl+b"})
        await pilot.press("ctrl+b")
        assert view.scrolled_back == 5
        await pilot.press("shift+pageup")
        await wait_for(pilot, lambda: backend.written.endswith(b"\x1b[5;2~"), "shift+pageup")
        assert view.scrolled_back == 0


async def test_custom_passthrough_keys() -> None:
    app = Host(FakeBackend(), passthrough_keys=frozenset({"q"}))
    async with app.run_test(size=(40, 6)) as pilot:
        _, backend = await started(pilot)
        await pilot.press("q", "ctrl+pagedown")
        await wait_for(pilot, lambda: app.actions == ["quit"], "the app binding")
        assert backend.take() == b"\x1b[6;5~"


async def test_bracketed_paste_is_framed_and_stripped() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"\x1b[?2004h")
        assert view.bracketed_paste
        pilot.app.post_message(events.Paste("a\x1b[201~b\nc"))
        await wait_for(pilot, lambda: backend.written.endswith(b"\x1b[201~"), "the paste")
        assert backend.take() == b"\x1b[200~a [201~b\nc\x1b[201~"


async def test_guarded_paste_is_only_requested_not_sent() -> None:
    app = Host(FakeBackend(), guard_paste=True)
    async with app.run_test(size=(40, 6)) as pilot:
        _, backend = await started(pilot)
        pilot.app.post_message(events.Paste("rm -rf x\nls\n"))
        await wait_for(pilot, lambda: app.messages(TerminalView.PasteRequested), "the request")
        request = app.messages(TerminalView.PasteRequested)[0]
        assert isinstance(request, TerminalView.PasteRequested)
        assert request.text == "rm -rf x\nls\n"
        assert backend.take() == b""


async def test_unbracketed_multiline_paste_sends_cr() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        view.paste("echo 1\necho 2\n")
        assert backend.take() == b"echo 1\recho 2\r"


async def test_title_and_clipboard_messages() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        clip = base64.b64encode("hello \u00e9".encode())
        await show(pilot, view, b"\x1b]0;first\x07\x1b]2;user@node:~\x1b\\", b"\x1b]52;c;" + clip)
        await show(pilot, view, b"\x07")
        too_big = base64.b64encode(b"z" * ((1 << 20) + 1))
        await show(pilot, view, b"\x1b]52;c;" + too_big + b"\x07done")
        await wait_for(pilot, lambda: app.messages(TerminalView.ClipboardWritten), "clipboard")
        assert view.title == "user@node:~"
        titles = [m.title for m in app.messages(TerminalView.TitleChanged)]  # type: ignore[attr-defined]
        assert titles[-1] == "user@node:~"
        texts = [m.text for m in app.messages(TerminalView.ClipboardWritten)]  # type: ignore[attr-defined]
        assert texts == ["hello \u00e9"]
        assert view.screen_text()[0] == "done"


async def test_device_queries_are_answered_even_when_split() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"\x1b[3;7H\x1b[6n\x1b[5n\x1b[c\x1b[>c")
        assert backend.take() == b"\x1b[3;7R\x1b[0n" + PRIMARY_DA_REPLY + SECONDARY_DA_REPLY
        await show(pilot, view, b"ab\x1b", b"[", b"6", b"n")
        assert backend.take() == b"\x1b[3;9R"


async def test_mouse_is_forwarded_only_when_the_remote_asks() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await pilot.click(view, offset=(4, 2))
        assert backend.take() == b""
        await show(pilot, view, b"\x1b[?1000h\x1b[?1006h")
        assert view.mouse_mode == 1000
        await pilot.click(view, offset=(4, 2))
        await wait_for(pilot, lambda: backend.written.endswith(b"m"), "the release")
        assert backend.take() == b"\x1b[<0;5;3M\x1b[<0;5;3m"
        await pilot._post_mouse_events([events.MouseScrollUp], view, offset=(0, 0))
        assert backend.take() == b"\x1b[<64;1;1M"
        await show(pilot, view, b"\x1b[?1006l")
        await pilot.click(view, offset=(1, 1))
        assert backend.take() == b'\x1b[M ""\x1b[M#""'


async def test_drag_selects_and_requests_a_copy() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"first line\r\nsecond line here\r\n")
        await pilot.mouse_down(view, offset=(6, 0))
        await pilot.hover(view, offset=(5, 1))
        await pilot.mouse_up(view, offset=(5, 1))
        await wait_for(pilot, lambda: app.messages(TerminalView.CopyRequested), "the copy")
        copied = app.messages(TerminalView.CopyRequested)[0]
        assert copied.text == "line\nsecond"  # type: ignore[attr-defined]
        assert view.copy_selection() == "line\nsecond"
        assert style_of(view, 6, 0) != style_of(view, 5, 0)
        assert style_of(view, 5, 1) == style_of(view, 0, 1) != style_of(view, 6, 1)
        assert backend.take() == b""


async def test_scrollback_with_shift_pageup_and_marker() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, lines(100))
        assert view.screen_text()[-2] == "line 99"
        await pilot.press("shift+pageup")
        assert view.scrolled_back == 5
        assert view.screen_text()[0] == "line 90"
        assert view.render_line(0).text.rstrip().endswith("[scrollback -5]")
        await pilot.press("shift+pageup", "shift+pageup", "shift+pagedown")
        assert view.scrolled_back == 10
        assert backend.take() == b""
        await show(pilot, view, b"more\r\n")  # new output keeps the view on the same lines
        assert view.scrolled_back == 11 and view.screen_text()[0] == "line 85"
        await pilot.press("x")
        assert view.scrolled_back == 0 and backend.take() == b"x"


async def test_wheel_scrolls_the_scrollback_when_mouse_mode_is_off() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, lines(50))
        await pilot._post_mouse_events([events.MouseScrollUp], view, offset=(0, 0))
        assert view.scrolled_back == 3
        await pilot._post_mouse_events([events.MouseScrollDown], view, offset=(0, 0))
        assert view.scrolled_back == 0 and backend.take() == b""


async def test_scrollback_keeps_ten_thousand_lines() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, lines(12_000))
        assert view.model.emulator.history_size == 10_000
        view.scroll_back(20_000)
        assert view.scrolled_back == 10_000
        assert view.screen_text()[0] == "line 1995"


async def test_resize_is_sent_to_the_backend() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await pilot.resize_terminal(50, 12)
        await wait_for(pilot, lambda: backend.resizes[-1:] == [(50, 12)], "the resize")
        assert view.model.emulator.size == (50, 12)


async def test_exit_shows_the_reason_and_r_reconnects_keeping_scrollback() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(50, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, lines(20, "old"))
        backend.end(TerminalExit("exited with status 0", exit_status=0))
        await wait_for(pilot, lambda: view.state == "exited", "the exit")
        await wait_for(pilot, lambda: app.messages(TerminalView.Exited), "Exited")
        exited = app.messages(TerminalView.Exited)[0]
        assert exited.exit_info.exit_status == 0  # type: ignore[attr-defined]
        assert view.render_line(5).text.startswith("[exited with status 0 — press r")
        await pilot.press("q")  # no longer swallowed: the app's bindings work again
        assert app.actions == ["quit"]
        await pilot.press("r")
        await wait_for(pilot, lambda: view.state == "running", "the reconnect")
        assert backend.starts == [(50, 6), (50, 6)]
        assert view.status_text is None
        await show(pilot, view, b"new session\r\n")
        view.scroll_back(100)
        assert view.screen_text()[0] == "old 0"


async def test_reconnect_starts_a_clean_screen_below_the_old_one() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(50, 12)) as pilot:
        view, backend = await started(pilot)
        view.now = lambda: datetime(2026, 12, 7, 22, 51, 49)
        old = "".join(f"old-line-{i}\r\n" for i in range(1, 7))
        await show(pilot, view, f"\x1b[H\x1b[2J{old}exit\r\n".encode())
        backend.end(TerminalExit("exited with status 0", exit_status=0))
        await wait_for(pilot, lambda: view.state == "exited", "the exit")
        await pilot.press("r")
        await wait_for(pilot, lambda: view.state == "running", "the reconnect")
        await show(pilot, view, b"Welcome to the node\r\n$ ")
        # The new session has the screen to itself: nothing of the old one is left on it.
        assert view.screen_text()[:2] == ["Welcome to the node", "$"]
        assert not any("old-line" in row or "exit" in row for row in view.screen_text())
        # The old lines are in the scrollback, in order, above the separator.
        view.scroll_back(8)
        assert view.screen_text()[:9] == [
            *(f"old-line-{i}" for i in range(1, 7)),
            "exit",
            "── reconnected 22:51:49 ──",
            "Welcome to the node",
        ]


async def test_reconnect_from_the_alternate_screen_keeps_the_primary_lines() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"shell line\r\n\x1b[?1049h\x1b[Hin vim")
        backend.end(TerminalExit("connection lost", disconnected=True))
        await wait_for(pilot, lambda: view.state == "exited", "the exit")
        view.reconnect()
        await wait_for(pilot, lambda: view.state == "running", "the reconnect")
        assert not view.is_alternate_screen
        assert view.screen_text() == [""] * 6
        view.scroll_back(2)
        assert view.screen_text()[0] == "shell line"
        assert view.screen_text()[1].startswith("── reconnected ")


async def test_disconnect_and_read_errors_are_shown() -> None:
    class Broken(FakeBackend):
        async def read(self) -> bytes:
            raise ConnectionResetError("reset by peer")

    app = Host(Broken())
    async with app.run_test(size=(60, 6)) as pilot:
        view = app.query_one(TerminalView)
        await wait_for(pilot, lambda: view.state == "exited", "the exit")
        assert view.status_text == "[disconnected: reset by peer — press r to reconnect]"
        await wait_for(pilot, lambda: app.messages(TerminalView.Exited), "Exited")
        exited = app.messages(TerminalView.Exited)
        assert exited[0].exit_info.disconnected  # type: ignore[attr-defined]


async def test_a_long_failure_line_wraps_onto_the_bottom_rows() -> None:
    reason = "connect to 10.20.30.40 port 22: connection refused (is sshd running on the node?)"
    app = Host(FakeBackend(fail=ConnectionRefusedError(reason)))
    async with app.run_test(size=(40, 8)) as pilot:
        view = app.query_one(TerminalView)
        await wait_for(pilot, lambda: view.state == "exited", "the failure")
        status = view.status_text
        assert status is not None and len(status) > 80
        rows = [view.render_line(y).text.rstrip() for y in range(8)]
        shown = [row for row in rows if row]
        assert len(shown) == 3 and rows[-len(shown) :] == shown  # the bottom rows
        assert " ".join(shown) == status  # all of it, cut at spaces
        assert all(view.render_line(y).cell_length == 40 for y in range(8))


async def test_start_failure_is_shown_and_posted() -> None:
    class HostKeyError(Exception):
        title = "Host key changed"

    app = Host(FakeBackend(fail=HostKeyError("node7 presented a different key")))
    async with app.run_test(size=(80, 6)) as pilot:
        view = app.query_one(TerminalView)
        await wait_for(pilot, lambda: app.messages(TerminalView.Exited), "Exited")
        expected = "[failed: Host key changed: node7 presented a different key — press r to retry]"
        assert view.status_text == expected
        assert view.render_line(5).text.rstrip() == expected
        exit_info = app.messages(TerminalView.Exited)[0].exit_info  # type: ignore[attr-defined]
        assert exit_info.disconnected


async def test_cursor_is_drawn_only_when_focused_and_visible() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        await show(pilot, view, b"ab")

        def cursor_reversed() -> bool:
            return bool(style_of(view, 2, 0).reverse)

        assert cursor_reversed()
        view.blur()
        await pilot.pause()
        assert not cursor_reversed()
        view.focus()
        await pilot.pause()
        await show(pilot, view, b"\x1b[?25l")
        assert not cursor_reversed()


async def test_ten_megabytes_without_newline_do_not_freeze_the_loop() -> None:
    async with Host(FakeBackend()).run_test(size=(200, 50)) as pilot:
        view, _ = await started(pilot)
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        task = asyncio.create_task(ticker())
        await pilot.pause()
        await show(pilot, view, b"y" * 10_000_001 + b"\x1b[31mend")
        stop.set()
        await task
        assert view.screen_text()[-1].endswith("yend")
        assert view.model.emulator.history_size == 10_000
        assert max(gaps) < 0.5, f"the loop stalled for {max(gaps):.3f} s"


async def test_flood_of_escape_sequences_keeps_the_loop_responsive() -> None:
    async with Host(FakeBackend()).run_test(size=(80, 24)) as pilot:
        view, backend = await started(pilot)
        flood = b"\x1b[31m\x1b[5;5H\x1b[K\x1b]0;t\x07\x1b[6n" * 100_000
        started_at = time.perf_counter()
        await show(pilot, view, flood)
        assert time.perf_counter() - started_at < 10
        assert backend.take().count(b"R") == 100_000
        assert view.title == "t"


async def test_unmount_closes_the_backend() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await view.remove()
        await pilot.pause()
        assert backend.closed == 1


async def test_rendering_outside_the_screen_is_safe() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view = app.query_one(TerminalView)
        assert len(view.render_line(100).text) == 40
        await wait_for(pilot, lambda: view.state == "running")


async def test_wheel_on_the_alternate_screen_sends_arrow_keys() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, lines(30), b"\x1b[?1049h\x1b[?1h")
        await pilot._post_mouse_events([events.MouseScrollUp], view, offset=(0, 0))
        assert backend.take() == b"\x1bOA" * 3
        assert view.scrolled_back == 0


async def test_shift_bypasses_the_remote_mouse_mode_for_selection() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"\x1b[?1003h\x1b[?1006hpick me")
        await pilot.mouse_down(view, offset=(0, 0), shift=True)
        await pilot._post_mouse_events([events.MouseMove], view, offset=(3, 0), shift=True)
        await pilot.mouse_up(view, offset=(3, 0), shift=True)
        await wait_for(pilot, lambda: app.messages(TerminalView.CopyRequested), "the copy")
        assert view.selected_text == "pick"
        assert backend.take() == b""
        view.clear_selection()
        assert view.copy_selection() == ""


async def test_focus_changes_are_reported_when_asked() -> None:
    async with Host(FakeBackend()).run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, b"\x1b[?1004h")
        view.blur()
        await wait_for(pilot, lambda: backend.written == b"\x1b[O", "focus out")
        view.focus()
        await wait_for(pilot, lambda: backend.written == b"\x1b[O\x1b[I", "focus in")
