"""`ViewHost`: what the session and the pointer handler call back into, off the widget's API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from widgets.terminal.backend import ExitInfo, TerminalBackend
from widgets.terminal.model import FeedResult, TerminalModel
from widgets.terminal.mouse import PointerHandler
from widgets.terminal.screen import ScreenView, row_regions
from widgets.terminal.session import TerminalSession, status_line

if TYPE_CHECKING:
    from widgets.terminal.view import TerminalView


class ViewHost:
    """A `TerminalView`'s private adapter: its `SessionListener` and `PointerHost`.

    It owns the view's session, pointer handler and screen window, and the state they
    change (the status line, the last title posted, a pending bell), so their callbacks
    are not methods of the widget.
    """

    def __init__(self, view: TerminalView, backend: TerminalBackend) -> None:
        self._view = view
        self.screen = ScreenView()
        self.session = TerminalSession(backend, self)
        self.pointer = PointerHandler(self)
        self.status: str | None = None
        """The exit or failure line shown on the bottom row, if any."""
        self._posted_title = ""
        self._bell = False

    def set_status(self, text: str | None) -> None:
        """Show `text` on the bottom row (None: the screen only)."""
        self.status = text
        self._view.refresh()

    # -- SessionListener ---------------------------------------------------------------------

    def session_output(self, result: FeedResult) -> None:
        view = self._view
        for text in result.clipboard:
            view.post_message(view.ClipboardWritten(view, text))
        self._bell = self._bell or result.bell

    def session_started(self) -> None:
        view = self._view
        self.set_status(None)
        view.refresh_bindings()  # keys now go to the remote: the footer must say so
        view.post_message(view.Started(view))

    def session_ended(self, exit_info: ExitInfo, *, failed: bool) -> None:
        view = self._view
        self.pointer.reset()
        self.set_status(status_line(exit_info, failed=failed))
        view.refresh_bindings()
        view.post_message(view.Exited(view, exit_info))

    def session_frame(self) -> None:
        """Repaint dirty rows and the cursor; post coalesced title/bell messages."""
        view = self._view
        scanner = view.model.scanner
        rows = self.screen.frame(view.model.emulator, view.running and view.has_focus)
        if rows is None:
            view.refresh()
        elif rows:
            view.refresh(*row_regions(rows, view.size.width))
        if scanner.title != self._posted_title:
            self._posted_title = scanner.title
            view.post_message(view.TitleChanged(view, self._posted_title))
        if self._bell:
            self._bell = False
            view.post_message(view.Bell(view))

    # -- PointerHost -------------------------------------------------------------------------

    @property
    def model(self) -> TerminalModel:
        return self._view.model

    @property
    def running(self) -> bool:
        return self._view.running

    @property
    def scrolled_back(self) -> int:
        return self.screen.scrolled

    def cell_at(self, event: events.MouseEvent) -> tuple[int, int]:
        """The screen cell under the mouse, clamped to the screen."""
        offset = event.get_content_offset_capture(self._view)
        cols, rows = self.model.emulator.size
        return min(max(offset.x, 0), cols - 1), min(max(offset.y, 0), rows - 1)

    def line_id(self, y: int) -> int:
        """The absolute line number of visible row `y` (stable as lines scroll off)."""
        return self.screen.line_id(self.model.emulator, y)

    def write(self, data: bytes) -> None:
        """Write bytes to the remote as they are (mouse reports, focus reports)."""
        if self.running:
            self.session.write(data)

    def scroll_back(self, lines: int) -> None:
        self._view.scroll_back(lines)

    def selection_changed(self) -> None:
        self._view.refresh()

    def copy_selection(self) -> str:
        return self._view.copy_selection()

    def link_clicked(self, url: str) -> None:
        view = self._view
        view.post_message(view.LinkClicked(view, url))

    def capture_mouse(self, capture: bool = True) -> None:
        self._view.capture_mouse(capture)

    def release_mouse(self) -> None:
        self._view.release_mouse()
