"""The protocol a `TerminalView` talks to: a byte stream with a size (an SSH channel, a PTY)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TerminalExit:
    """How a terminal session ended."""

    reason: str
    """Shown to the user, e.g. "exited with status 0" or "connection lost: reset by peer"."""
    exit_status: int | None = None
    """The remote program's exit status, when it exited by itself."""
    disconnected: bool = False
    """True when the connection dropped (the view then offers to reconnect)."""


class ExitInfo(Protocol):
    """Anything shaped like `TerminalExit` (backends outside `widgets` define their own)."""

    @property
    def reason(self) -> str: ...

    @property
    def exit_status(self) -> int | None: ...

    @property
    def disconnected(self) -> bool: ...


class TerminalBackend(Protocol):
    """A session the terminal view can start, read, write, resize and close.

    `start()` may be called again after the session ended, to reconnect.
    """

    async def start(self, cols: int, rows: int) -> None:
        """Open the session with a terminal of `cols` x `rows`. Raises on failure."""
        ...

    async def read(self) -> bytes:
        """The next chunk of output; `b""` once the session has ended (see `exit_info`)."""
        ...

    def write(self, data: bytes) -> None:
        """Send input (keys, paste) to the session without blocking."""
        ...

    def resize(self, cols: int, rows: int) -> None:
        """Tell the session the terminal's new size."""
        ...

    async def close(self) -> None:
        """Close the session and release its channel. Safe to call more than once."""
        ...

    @property
    def exit_info(self) -> ExitInfo | None:
        """Set once the session has ended."""
        ...
