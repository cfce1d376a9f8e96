"""TerminalView's public surface is what an app uses; its collaborators call a private host."""

from __future__ import annotations

from tests.widgets.terminal_fakes import FakeBackend, Host, show, started, wait_for
from widgets.terminal import TerminalExit, TerminalView
from widgets.terminal.host import ViewHost
from widgets.terminal.pointer_events import PointerEvents

APP_API = {
    # state
    "model",
    "state",
    "running",
    "title",
    "bracketed_paste",
    "mouse_mode",
    "application_cursor",
    "is_alternate_screen",
    "scrolled_back",
    "status_text",
    "screen_text",
    "cell_style",
    "selected_text",
    "tap",  # recorders (see widgets.terminal.taps)
    # control
    "start",
    "reconnect",
    "send",
    "send_key",
    "paste",
    "scroll_back",
    "copy_selection",
    "clear_selection",
}
TEXTUAL_HOOKS = {"render_line", "check_consume_key", "check_action", "can_focus"}
CALLBACKS = {
    "session_output",
    "session_started",
    "session_ended",
    "session_frame",
    "selection_changed",
    "cell_at",
    "line_id",
    "write",
}


def test_the_public_surface_is_the_app_api() -> None:
    public = {
        name
        for name in {**vars(PointerEvents), **vars(TerminalView)}
        if not name.startswith(("_", "on_", "action_")) and not name[0].isupper()
    }
    assert public - TEXTUAL_HOOKS - {"can_focus_children"} == APP_API
    assert not CALLBACKS & set(dir(TerminalView))
    assert CALLBACKS <= set(dir(ViewHost))


async def test_session_and_pointer_report_to_the_host_which_drives_the_view() -> None:
    backend = FakeBackend()
    async with Host(backend).run_test(size=(40, 6)) as pilot:
        view, _ = await started(pilot)
        host = view._host
        assert view._session.listener is host and view._pointer.host is host
        await show(pilot, view, b"\x1b]2;remote title\x07hello")
        assert view.screen_text()[0] == "hello"
        app = pilot.app
        assert isinstance(app, Host)
        assert [m.title for m in app.messages(TerminalView.TitleChanged)] == ["remote title"]  # type: ignore[attr-defined]
        backend.end(TerminalExit("exited with status 0"))
        await wait_for(pilot, lambda: app.messages(TerminalView.Exited), "the end posted")
        assert view.state == "exited"
        assert view.status_text == host.status == "[exited with status 0 — press r to reconnect]"
