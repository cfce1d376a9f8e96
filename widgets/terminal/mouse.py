"""Mouse handling for `TerminalView`: reports to the remote, wheel scrollback, selection."""

from __future__ import annotations

from typing import Protocol

from textual import events

from widgets.terminal.keyboard import (
    NO_BUTTON,
    WHEEL_DOWN,
    WHEEL_UP,
    MouseAction,
    encode_key,
    encode_mouse,
    mouse_button_code,
)
from widgets.terminal.model import TerminalModel
from widgets.terminal.selection import Point, Selection

WHEEL_LINES = 3
"""Lines per wheel step (scrollback, or arrow keys on the alternate screen)."""


class PointerHost(Protocol):
    """What `PointerHandler` needs from the view (a `TerminalView`'s `ViewHost`)."""

    @property
    def model(self) -> TerminalModel: ...

    @property
    def running(self) -> bool: ...

    @property
    def scrolled_back(self) -> int: ...

    def cell_at(self, event: events.MouseEvent) -> tuple[int, int]:
        """The screen cell under the mouse, clamped to the screen."""
        ...

    def line_id(self, y: int) -> int:
        """The absolute line number of visible row `y`."""
        ...

    def write(self, data: bytes) -> None: ...

    def scroll_back(self, lines: int) -> None: ...

    def selection_changed(self) -> None: ...

    def copy_selection(self) -> str: ...

    def link_clicked(self, url: str) -> None: ...

    def capture_mouse(self, capture: bool = True) -> None: ...

    def release_mouse(self) -> None: ...


class PointerHandler:
    """Routes mouse events: to the remote when it enabled a mouse mode (and shift is not held),
    else the wheel scrolls the scrollback and a drag selects text."""

    def __init__(self, host: PointerHost) -> None:
        self.host = host
        self.selection: Selection | None = None
        """The current selection, in absolute line numbers."""
        self.selecting = False
        """A drag is in progress."""
        self._button: int | None = None  # the xterm button held while reporting

    def _remote(self, event: events.MouseEvent) -> bool:
        host = self.host
        return (
            host.running
            and host.model.scanner.mouse_tracking != 0
            and not host.scrolled_back
            and not event.shift
        )

    def _report(self, button: int, event: events.MouseEvent, action: MouseAction) -> None:
        scanner = self.host.model.scanner
        x, y = self.host.cell_at(event)
        x10 = scanner.mouse_tracking == 9  # X10 compatibility reports presses, no modifiers
        data = encode_mouse(
            button,
            x,
            y,
            action=action,
            sgr=scanner.mouse_sgr,
            meta=event.meta and not x10,
            ctrl=event.ctrl and not x10,
        )
        if data is not None:
            self.host.write(data)

    def _point(self, event: events.MouseEvent) -> Point:
        x, y = self.host.cell_at(event)
        return self.host.line_id(y), x

    def down(self, event: events.MouseDown) -> None:
        """Press: report it, or start a selection."""
        self.host.capture_mouse()
        if self._remote(event):
            self._button = mouse_button_code(event.button)
            self._report(self._button, event, "press")
            return
        point = self._point(event)
        self.selection = Selection(point, point)
        self.selecting = True
        self.host.selection_changed()

    def move(self, event: events.MouseMove) -> None:
        """Motion: report it (1002 while a button is held, 1003 always), or extend a selection."""
        if self._remote(event):
            mode, held = self.host.model.scanner.mouse_tracking, self._button
            if mode == 1003 or (mode == 1002 and held is not None):
                self._report(NO_BUTTON if held is None else held, event, "motion")
        elif self.selecting and self.selection is not None:
            point = self._point(event)
            if point != self.selection.head:
                self.selection.head = point
                self.host.selection_changed()

    def up(self, event: events.MouseUp) -> None:
        """Release: report it, or finish the selection and request a copy."""
        self.host.release_mouse()
        held, self._button = self._button, None
        if self._remote(event):
            if held is not None and self.host.model.scanner.mouse_tracking != 9:
                self._report(held, event, "release")
        elif self.selecting:
            self.selecting = False
            selection = self.selection
            if selection is not None and selection.empty:
                url = self.host.model.links.at(*selection.head)
                if url is not None:  # a click, not a drag, on a link
                    self.host.link_clicked(url)
                    return
            self.host.copy_selection()

    def wheel(self, event: events.MouseEvent, up: bool) -> None:
        """Wheel: report it; on the alternate screen send arrows; else scroll the scrollback."""
        host = self.host
        if self._remote(event):
            self._report(WHEEL_UP if up else WHEEL_DOWN, event, "press")
        elif host.running and host.model.scanner.alternate_screen and not host.scrolled_back:
            cursor_keys = host.model.scanner.application_cursor
            key = encode_key("up" if up else "down", None, application_cursor=cursor_keys)
            host.write((key or b"") * WHEEL_LINES)  # like xterm's alternateScroll (less, man)
        else:
            host.scroll_back(WHEEL_LINES if up else -WHEEL_LINES)

    def selected_text(self) -> str:
        """The text of the current selection ("" when none)."""
        if self.selection is None:
            return ""
        emulator = self.host.model.emulator
        base = emulator.history_total - emulator.history_size
        return self.selection.text(lambda line: emulator.line_cells(line - base))

    def reset(self) -> None:
        """Forget a held button (the session ended)."""
        self._button = None
