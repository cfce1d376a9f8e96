"""A byte scanner run beside the emulator: terminal modes, titles, OSC 52 and query replies.

pyavt draws the screen but ignores what a terminal must track or answer itself: bracketed paste
(2004), mouse tracking (9/1000/1002/1003) and its SGR encoding (1006), application cursor keys
(DECCKM, 1), focus reports (1004), the alternate screen (47/1047/1049), OSC 0/2 titles, OSC 52
clipboard writes (strictly decoded, see `osc52`), OSC 8 hyperlinks, device status / attribute
queries and DECRQM mode queries.

Plain text costs one `memchr`; otherwise a skipping regex runs over text and over the sequences
that cannot matter (SGR, cursor moves...) inside the regex engine, and a token regex parses what
it stops at. A sequence split across reads is carried over to the next `feed`: state
and events do not depend on how the stream was split (a property test checks this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from widgets.terminal.osc52 import decode_clipboard_write

MAX_CLIPBOARD_BYTES = 1 << 20
"""Default cap on one decoded OSC 52 payload; larger writes are dropped whole."""
MAX_TITLE_CHARS = 1024
"""Titles are cut to this length."""

PRIMARY_DA_REPLY = b"\x1b[?62;22c"
"""VT220 with ANSI colour (what the remote sees for `CSI c`)."""
SECONDARY_DA_REPLY = b"\x1b[>1;10;0c"
"""VT220, firmware 10 (for `CSI > c`)."""

MOUSE_MODES = frozenset({9, 1000, 1002, 1003})
"""X10, normal (press/release), button-event (drag) and any-event tracking."""
ALT_SCREEN_MODES = frozenset({47, 1047, 1049})

_PARAMS = 64  # longest parameter string matched; longer sequences are ignored (split or not)
# Cheap first pass, run inside the regex engine: skip text and every sequence that cannot be a
# token (SGR, cursor moves and other CSIs with plain parameters, two-byte escapes), stopping
# where one may start. Finals `c` and `n` stay (device attribute and status queries).
_SKIP = re.compile(rb"(?:[^\x1b\x07]++|\x1b\[[0-9;:]*+[@-bd-mo-~]|\x1b[^\x1b\x07\[\]PX^_c])*+")
_TOKEN = re.compile(
    rb"\x1b\[(?P<lead>[?>])(?P<params>[0-9;]{0,%d}+)(?P<inter>\$?+)(?P<final>[hlncp])"
    rb"|\x1b\[(?P<plain>[56]n|0?c|!p)"
    rb"|\x1b(?P<string>[\]PX^_])"
    rb"|\x1b(?P<ris>c)"
    rb"|(?P<bel>\x07)" % _PARAMS
)
# What may still grow into a token: carried to the next feed when it ends the buffer.
_PARTIAL = re.compile(rb"\x1b(?:\[(?:[?>][0-9;]{0,%d}\$?|[56]|0|!)?)?" % _PARAMS)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """Something the scanner saw; `end` is the offset just past it in the chunk fed."""

    end: int


@dataclass(frozen=True, slots=True)
class Reply(ScanEvent):
    """Bytes to write back to the remote (device attributes, status, mode reports)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CursorQuery(ScanEvent):
    """`CSI 6 n` (or `CSI ? 6 n` when `private`): answer with the cursor after `end`."""

    private: bool


@dataclass(frozen=True, slots=True)
class TitleSet(ScanEvent):
    """OSC 0 or OSC 2 set the window title."""

    title: str


@dataclass(frozen=True, slots=True)
class ClipboardSet(ScanEvent):
    """OSC 52 wrote text to the clipboard."""

    text: str


@dataclass(frozen=True, slots=True)
class LinkSet(ScanEvent):
    """OSC 8 started a hyperlink to `url` at this point ("" ends the current one)."""

    url: str


@dataclass(frozen=True, slots=True)
class BellRung(ScanEvent):
    """A BEL outside of a string."""


def cursor_report(x: int, y: int, *, private: bool = False) -> bytes:
    """The reply to a cursor-position query for 0-based `(x, y)`."""
    return f"\x1b[{'?' if private else ''}{y + 1};{x + 1}R".encode()


class ModeScanner:
    """Tracks terminal modes and collects events from the remote's output bytes."""

    def __init__(self, *, clipboard_limit: int = MAX_CLIPBOARD_BYTES) -> None:
        """Create a scanner in the power-on state.

        Args:
            clipboard_limit: Largest decoded OSC 52 payload accepted, in bytes.
        """
        self.clipboard_limit = clipboard_limit
        self._osc_limit = 8 + (clipboard_limit + 2) // 3 * 4 + 64  # "52;c;" + base64 + slack
        self._carry = b""
        self._string: int | None = None  # ord of "]", "P", "X", "^" or "_" while inside one
        self._osc = bytearray()
        self._osc_overflow = False
        self.title = ""
        """The last title set by OSC 0/2."""
        self.reset()

    def reset(self) -> None:
        """Forget every mode (power-on / RIS state); the title is kept."""
        self.bracketed_paste = False
        """DECSET 2004: pastes are framed with `CSI 200 ~` / `CSI 201 ~`."""
        self.mouse_tracking = 0
        """The active mouse tracking mode (9, 1000, 1002, 1003) or 0."""
        self.mouse_sgr = False
        """DECSET 1006: mouse reports use the SGR encoding."""
        self.application_cursor = False
        """DECCKM: cursor keys send `SS3 A` instead of `CSI A`."""
        self.alternate_screen = False
        """The alternate screen (47, 1047, 1049) is active."""
        self.focus_events = False
        """DECSET 1004: focus in/out are reported as `CSI I` / `CSI O`."""
        self.cursor_visible = True
        """DECTCEM (25)."""

    def state(self) -> tuple[object, ...]:
        """Every tracked mode and the title, for comparisons in tests."""
        return (
            self.bracketed_paste,
            self.mouse_tracking,
            self.mouse_sgr,
            self.application_cursor,
            self.alternate_screen,
            self.focus_events,
            self.cursor_visible,
            self.title,
        )

    def feed(self, data: bytes) -> list[ScanEvent]:
        """Scan the next chunk of output.

        Args:
            data: Bytes exactly as read from the remote.

        Returns:
            The events completed in this chunk, in order; `end` offsets index into `data`.
        """
        carried = len(self._carry)
        buf = self._carry + data if carried else data
        self._carry = b""
        events: list[ScanEvent] = []
        pos = done = 0  # scan position; end of the last token or string
        size = len(buf)
        if self._string is None and b"\x1b" not in buf and b"\x07" not in buf:
            return events  # plain text: one memchr pass
        while pos < size:
            if self._string is not None:
                pos = done = self._scan_string(buf, pos, carried, events)
                continue
            pos = self._next_candidate(buf, pos)
            if pos >= size:
                break
            match = _TOKEN.match(buf, pos)
            if match is None:
                pos += 1
                continue
            pos = done = match.end()
            if match["final"] is not None or match["plain"] is not None:
                self._csi(match, pos - carried, events)
            elif match["string"] is not None:
                self._string = match["string"][0]
                self._osc.clear()
                self._osc_overflow = False
            elif match["ris"] is not None:
                self.reset()
            else:
                events.append(BellRung(pos - carried))
        if self._string is None:
            self._carry_tail(buf, done)
        return events

    def _next_candidate(self, buf: bytes, pos: int) -> int:
        """Where a token may start, at or after `pos` (`len(buf)` when nowhere)."""
        skipped = _SKIP.match(buf, pos)
        assert skipped is not None  # `(...)*+` matches the empty string too
        return skipped.end()

    def _carry_tail(self, buf: bytes, done: int) -> None:
        start = buf.rfind(b"\x1b", max(done, len(buf) - _PARAMS - 8))
        if start >= 0 and _PARTIAL.fullmatch(buf, start) is not None:
            self._carry = buf[start:]

    def _scan_string(self, buf: bytes, pos: int, carried: int, events: list[ScanEvent]) -> int:
        """Consume string content (OSC, DCS, SOS, PM, APC) up to its terminator."""
        is_osc = self._string == 0x5D
        esc = buf.find(b"\x1b", pos)
        bel = buf.find(b"\x07", pos, esc if esc >= 0 else len(buf)) if is_osc else -1
        end = bel if bel >= 0 else esc
        if end < 0:
            if is_osc:
                self._collect(buf[pos:])
            return len(buf)
        if is_osc:
            self._collect(buf[pos:end])
            self._dispatch_osc(end + (1 if bel >= 0 else 0) - carried, events)
        self._string = None
        # A BEL ends the string; an ESC ends it too and is then scanned again (`ESC \` is ST).
        return end + 1 if bel >= 0 else end

    def _collect(self, chunk: bytes) -> None:
        if self._osc_overflow:
            return
        if len(self._osc) + len(chunk) > self._osc_limit:
            self._osc_overflow = True
            self._osc.clear()
        else:
            self._osc += chunk

    def _dispatch_osc(self, end: int, events: list[ScanEvent]) -> None:
        if self._osc_overflow:
            return
        command, _, rest = bytes(self._osc).partition(b";")
        if command in (b"0", b"2"):
            title = _CONTROLS.sub("", rest.decode("utf-8", "replace"))[:MAX_TITLE_CHARS]
            self.title = title
            events.append(TitleSet(end, title))
        elif command == b"8":
            _params, _, uri = rest.partition(b";")
            events.append(LinkSet(end, uri.decode("utf-8", "replace")))
        elif command == b"52":
            _selection, _, payload = rest.partition(b";")
            text = decode_clipboard_write(payload, self.clipboard_limit)  # queries: never
            if text is not None:
                events.append(ClipboardSet(end, text))

    def _csi(self, match: re.Match[bytes], end: int, events: list[ScanEvent]) -> None:
        plain = match["plain"]
        if plain is not None:
            if plain == b"6n":
                events.append(CursorQuery(end, False))
            elif plain == b"5n":
                events.append(Reply(end, b"\x1b[0n"))
            elif plain == b"!p":  # DECSTR soft reset
                self.application_cursor = False
                self.cursor_visible = True
            else:
                events.append(Reply(end, PRIMARY_DA_REPLY))
            return
        lead, final, inter = match["lead"], match["final"], match["inter"]
        params = [int(p) if p else 0 for p in match["params"].split(b";")]
        if lead == b">":
            if final == b"c" and not inter and params == [0]:
                events.append(Reply(end, SECONDARY_DA_REPLY))
        elif inter:
            if final == b"p":  # DECRQM
                state = self._mode_state(params[0])
                events.append(Reply(end, f"\x1b[?{params[0]};{state}$y".encode()))
        elif final in (b"h", b"l"):
            for mode in params:
                self._set_mode(mode, final == b"h")
        elif final == b"n" and params == [6]:
            events.append(CursorQuery(end, True))

    def _set_mode(self, mode: int, on: bool) -> None:
        if mode == 2004:
            self.bracketed_paste = on
        elif mode in MOUSE_MODES:
            self.mouse_tracking = mode if on else 0  # like xterm: resetting any turns it off
        elif mode == 1006:
            self.mouse_sgr = on
        elif mode == 1:
            self.application_cursor = on
        elif mode in ALT_SCREEN_MODES:
            self.alternate_screen = on
        elif mode == 1004:
            self.focus_events = on
        elif mode == 25:
            self.cursor_visible = on

    def _mode_state(self, mode: int) -> int:
        """DECRQM answer: 1 set, 2 reset, 0 unknown."""
        values = {
            2004: self.bracketed_paste,
            1006: self.mouse_sgr,
            1: self.application_cursor,
            1004: self.focus_events,
            25: self.cursor_visible,
        }
        if mode in MOUSE_MODES:
            return 1 if self.mouse_tracking == mode else 2
        if mode in ALT_SCREEN_MODES:
            return 1 if self.alternate_screen else 2
        if mode in values:
            return 1 if values[mode] else 2
        return 0
