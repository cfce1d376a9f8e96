"""Hooks on a `TerminalView`'s streams, for recorders and input broadcast (no Textual here).

A `StreamTap` sees the remote's output as read, the input the view sends (keys and pastes,
encoded) and resizes. An `InputListener` sees what the user typed or pasted, before encoding,
so another terminal can encode it for its own remote's modes (application cursor keys,
bracketed paste).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class StreamTap(Protocol):
    """Told about every byte that passes through a terminal session. Must not raise."""

    def output(self, data: bytes) -> None:
        """The remote sent `data` (before the emulator sees it)."""
        ...

    def input(self, data: bytes) -> None:
        """The user's keys or paste, as sent to the remote."""
        ...

    def resized(self, cols: int, rows: int) -> None:
        """The terminal is now `cols` x `rows`."""
        ...


@dataclass(frozen=True, slots=True)
class KeyInput:
    """A key the user pressed in a terminal (Textual's key name and character)."""

    key: str
    character: str | None


@dataclass(frozen=True, slots=True)
class PasteInput:
    """Text pasted into a terminal (already confirmed by the app, not yet sanitised)."""

    text: str


TypedInput = KeyInput | PasteInput
InputListener = Callable[[object, TypedInput], None]
"""Called with the terminal view and what was typed into it."""
