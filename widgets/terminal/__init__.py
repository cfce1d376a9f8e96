"""An embedded terminal emulator widget over a `TerminalBackend`."""

from widgets.terminal.backend import TerminalBackend, TerminalExit
from widgets.terminal.view import DEFAULT_PASSTHROUGH_KEYS, TerminalView

__all__ = ["DEFAULT_PASSTHROUGH_KEYS", "TerminalBackend", "TerminalExit", "TerminalView"]
