"""An embedded terminal emulator widget over a `TerminalBackend`."""

from widgets.terminal.backend import TerminalBackend, TerminalExit
from widgets.terminal.keyboard import DEFAULT_PASSTHROUGH_KEYS
from widgets.terminal.view import TerminalView

__all__ = ["DEFAULT_PASSTHROUGH_KEYS", "TerminalBackend", "TerminalExit", "TerminalView"]
