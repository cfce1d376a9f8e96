"""`TerminalModel`: bytes in, screen and events out (emulator + side scanner, no Textual)."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

from widgets.terminal.emulator import AvtEmulator, Emulator
from widgets.terminal.links import LinkMap
from widgets.terminal.scanner import (
    MAX_CLIPBOARD_BYTES,
    BellRung,
    ClipboardSet,
    CursorQuery,
    LinkSet,
    ModeScanner,
    Reply,
    cursor_report,
)

EmulatorFactory = Callable[[int, int, int], Emulator]
"""Builds an emulator from `(cols, rows, scrollback)`."""


def avt_emulator(cols: int, rows: int, scrollback: int) -> Emulator:
    """The default `EmulatorFactory` (pyavt)."""
    return AvtEmulator(cols, rows, scrollback=scrollback)


@dataclass(slots=True)
class FeedResult:
    """What one `TerminalModel.feed` produced besides screen changes."""

    replies: bytes = b""
    """Answers to write back to the remote, in order."""
    clipboard: list[str] = field(default_factory=list)
    """Texts written by OSC 52."""
    bell: bool = False
    """Whether a BEL was seen."""


class TerminalModel:
    """Feeds the same bytes to an emulator and a `ModeScanner` and answers queries.

    UTF-8 is decoded incrementally (a character split across reads is kept for the next one;
    invalid bytes become U+FFFD). At a cursor-position query the emulator is fed exactly up to
    the query, so the reply carries the cursor the remote expects.
    """

    def __init__(
        self,
        cols: int,
        rows: int,
        *,
        scrollback: int = 10_000,
        clipboard_limit: int = MAX_CLIPBOARD_BYTES,
        emulator_factory: EmulatorFactory = avt_emulator,
    ) -> None:
        """Create the model.

        Args:
            cols: Columns.
            rows: Rows.
            scrollback: Lines of history kept.
            clipboard_limit: Largest OSC 52 payload accepted, in bytes.
            emulator_factory: Builds the emulation engine.
        """
        self.emulator = emulator_factory(cols, rows, scrollback)
        self.scanner = ModeScanner(clipboard_limit=clipboard_limit)
        self.links = LinkMap()
        """OSC 8 hyperlinks by absolute line (see `widgets.terminal.links`)."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> FeedResult:
        """Process one chunk of the remote's output."""
        result = FeedResult()
        events = self.scanner.feed(data)
        if not events:
            self._feed_text(data)
            return result
        replies = bytearray()
        pos = 0
        for event in events:
            if isinstance(event, CursorQuery):
                self._feed_text(data[pos : event.end])
                pos = event.end
                x, y = self.emulator.cursor
                replies += cursor_report(x, y, private=event.private)
            elif isinstance(event, Reply):
                replies += event.data
            elif isinstance(event, LinkSet) and not self.scanner.alternate_screen:
                self._feed_text(data[pos : event.end])
                pos = event.end
                x, y = self.emulator.cursor
                line = self.emulator.history_total + y
                self.links.set(event.url, line, x, self.emulator.size[0])
            elif isinstance(event, ClipboardSet):
                result.clipboard.append(event.text)
            elif isinstance(event, BellRung):
                result.bell = True
        self._feed_text(data[pos:] if pos else data)
        result.replies = bytes(replies)
        return result

    def _feed_text(self, data: bytes) -> None:
        if data:
            self.emulator.feed(self._decoder.decode(data))

    def resize(self, cols: int, rows: int) -> None:
        """Resize the screen."""
        self.emulator.resize(cols, rows)

    def reset_for_reconnect(self, separator: str) -> None:
        """Prepare for a new session: the old screen goes to the scrollback below its lines,
        then `separator`; the new session starts on a blank screen with every mode off."""
        self._decoder.reset()
        title = self.scanner.title
        self.scanner = ModeScanner(clipboard_limit=self.scanner.clipboard_limit)
        self.scanner.title = title
        self.emulator.fresh_screen(separator)

    def screen_lines(self) -> list[str]:
        """The screen rows as plain text (trailing blanks removed)."""
        emulator = self.emulator
        base = emulator.history_size
        return ["".join(emulator.line_cells(base + y)).rstrip() for y in range(emulator.size[1])]
