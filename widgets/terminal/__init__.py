"""An embedded terminal emulator widget over a `TerminalBackend`."""
