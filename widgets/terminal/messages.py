"""Messages posted by `TerminalView` (re-exported as `TerminalView.TitleChanged` etc.)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from widgets.terminal.backend import ExitInfo

if TYPE_CHECKING:
    from widgets.terminal.view import TerminalView


class TerminalMessage(Message, namespace="terminal_view"):
    """Base of the view's messages: handlers are named `on_terminal_view_<name>`."""

    def __init__(self, terminal_view: TerminalView) -> None:
        super().__init__()
        self.terminal_view = terminal_view
        """The `TerminalView` that posted the message."""

    @property
    def control(self) -> TerminalView:
        """Alias of `terminal_view` (for `@on(..., "#id")` selectors)."""
        return self.terminal_view


class TitleChanged(TerminalMessage, namespace="terminal_view"):
    """The remote set the window title (OSC 0/2); coalesced to one per frame."""

    def __init__(self, terminal_view: TerminalView, title: str) -> None:
        super().__init__(terminal_view)
        self.title = title
        """The new title."""


class ClipboardWritten(TerminalMessage, namespace="terminal_view"):
    """The remote wrote to the clipboard with OSC 52 (decoded, within the size cap)."""

    def __init__(self, terminal_view: TerminalView, text: str) -> None:
        super().__init__(terminal_view)
        self.text = text
        """The text to put on the local clipboard."""


class CopyRequested(TerminalMessage, namespace="terminal_view"):
    """The user selected text (mouse-up) or `copy_selection()` was called."""

    def __init__(self, terminal_view: TerminalView, text: str) -> None:
        super().__init__(terminal_view)
        self.text = text
        """The selected text."""


class PasteRequested(TerminalMessage, namespace="terminal_view"):
    """The outer terminal pasted `text`; the view waits for the app to `paste()` it (or not)."""

    def __init__(self, terminal_view: TerminalView, text: str) -> None:
        super().__init__(terminal_view)
        self.text = text


class Started(TerminalMessage, namespace="terminal_view"):
    """The session is up (first start or a reconnect)."""


class Exited(TerminalMessage, namespace="terminal_view"):
    """The session ended, the connection dropped, or `backend.start()` failed."""

    def __init__(self, terminal_view: TerminalView, exit_info: ExitInfo) -> None:
        super().__init__(terminal_view)
        self.exit_info = exit_info
        """How it ended (`disconnected=True` for drops and start failures)."""


class Bell(TerminalMessage, namespace="terminal_view"):
    """The remote rang the bell (at most one per frame)."""


class LinkClicked(TerminalMessage, namespace="terminal_view"):
    """The user clicked an OSC 8 hyperlink; the view opens nothing, the app decides."""

    def __init__(self, terminal_view: TerminalView, url: str) -> None:
        super().__init__(terminal_view)
        self.url = url
        """The link's URI, as the remote sent it (untrusted)."""
