"""`PointerEvents`: a `TerminalView`'s mouse handlers and selection, given to its pointer."""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from widgets.terminal.mouse import PointerHandler


class PointerEvents(Widget):
    """Mouse events go to `_pointer` (set by `TerminalView`), which reports them to the remote
    or scrolls and selects; the selection is read and cleared here."""

    _pointer: PointerHandler

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self._pointer.down(event)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._pointer.move(event)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        event.stop()
        self._pointer.up(event)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._pointer.wheel(event, up=True)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._pointer.wheel(event, up=False)

    @property
    def selected_text(self) -> str:
        """The text of the current selection ("" when none)."""
        return self._pointer.selected_text()

    def clear_selection(self) -> None:
        """Forget the selection."""
        if self._pointer.selection is not None:
            self._pointer.selection = None
            self.refresh()
