"""`LogView`: a live, bounded, searchable log viewer built on Textual's line API."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate, repeat
from operator import add
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

BLOCK_LINES = 4096  # lines per sealed storage block
MAX_LINE_CHARS = 65_536  # longer lines are cut on ingest (keeps offsets within array('I'))
MAX_RENDER_CELLS = 1000  # lines render (and the virtual width is capped) to this many cells
CACHE_SIZE = 1024  # rendered strips kept (LRU)

# Anything that needs the slow path: C0 (except \n), DEL, C1 and lone surrogates.
_SPECIAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST (or the line)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # other two-byte and nF escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\)?"  # 8-bit strings
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def sanitise(line: str) -> list[str]:
    """Clean one raw line for display; a trailing newline is dropped, inner ones split it.

    Escape sequences and control characters are dropped, tabs expanded, lone surrogates
    replaced by U+FFFD. A carriage return keeps only the text after it (progress bars).
    """
    out = []
    for part in line.removesuffix("\n").split("\n"):
        if _SPECIAL.search(part) is not None:
            part = _ESCAPES.sub("", part).rstrip("\r")
            part = part.rpartition("\r")[2].expandtabs()
            part = _SURROGATES.sub("\ufffd", _CONTROLS.sub("", part))
        out.append(part[:MAX_LINE_CHARS])
    return out


class _Block(NamedTuple):
    """Lines `g0...` joined as `text`, each ended by a newline; `offsets[j]` starts line j."""

    g0: int
    text: str
    offsets: array[int]


def _make_block(g0: int, lines: list[str]) -> _Block:
    offsets = array("I", accumulate(map(add, map(len, lines), repeat(1)), initial=0))
    return _Block(g0, "\n".join(lines) + "\n", offsets)


class _Finder:
    """A compiled search; literal ones use `str.find` (on `lower()` text to ignore case)."""

    def __init__(self, pattern: str, regex: bool, case_sensitive: bool) -> None:
        self.key = (pattern, regex, case_sensitive)
        flags = re.MULTILINE | (0 if case_sensitive else re.IGNORECASE)
        self.regex = re.compile(pattern if regex else re.escape(pattern), flags)
        literal = not regex and (case_sensitive or len(pattern.lower()) == len(pattern))
        self.needle = (pattern if case_sensitive else pattern.lower()) if literal else ""

    def hay(self, text: str) -> str | None:
        """The text for a plain `find`, or `None` when the regex must be used."""
        if not self.needle or self.key[2]:
            return text if self.needle else None
        low = text.lower()  # offsets stay valid only if no character changed length
        return low if len(low) == len(text) else None

    def at(self, text: str, hay: str | None, pos: int, end: int, last: bool = False) -> int:
        """Offset of the first (or last) match starting in `[pos, end)`, or -1."""
        if hay is not None:
            return (hay.rfind if last else hay.find)(self.needle, pos, end)
        found = -1
        for m in self.regex.finditer(text, pos, end):
            if m.start() < end:  # not an empty match at the very end
                found = m.start()
            if not last:
                break
        return found


class LogView(ScrollView, can_focus=True):
    """A live log viewer: bounded compact storage, follow (tail) mode and search.

    Lines live in blocks of 4096 joined into one `str` with an `array('I')` of offsets, plus
    a small open tail list: a million 80-character lines cost about 85 MB. The ring buffer
    drops whole blocks from the front and hides the trimmed head of the first block, so
    `line_count == min(written, max_lines)` holds exactly after every write.
    """

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow", id="log-follow"),
        Binding("end", "resume_follow", "Tail", id="log-end"),
        Binding("n", "search_next", "Next match", id="log-search-next"),
        Binding("N", "search_next(True)", "Prev match", id="log-search-prev"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | f | log-follow | Toggle follow (tail) mode. |
    | end | log-end | Jump to the end and resume following. |
    | n / N | log-search-next / log-search-prev | Next / previous match of the last search. |
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-view--match"}
    """
    | Class | Description |
    | :- | :- |
    | `log-view--match` | Highlighted matches of the active search. |
    """
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $text;
        overflow: auto;
        &:focus { background-tint: $foreground 5%; }
        & > .log-view--match { background: $warning 50%; color: $text; text-style: bold; }
    }
    """

    follow: reactive[bool] = reactive(True, init=False)
    """Keep the last line in view as lines arrive (`-paused` class when off)."""
    pending: reactive[int] = reactive(0, init=False)
    """Lines that arrived while not following."""

    class TailChanged(Message):
        """Posted when `follow` or `pending` changes (newer ones replace queued ones)."""

        def __init__(self, log_view: LogView, follow: bool, pending: int) -> None:
            super().__init__()
            self.log_view = log_view
            """The `LogView` that posted the message."""
            self.follow = follow
            """Whether the view follows new lines."""
            self.pending = pending
            """Lines that arrived while paused."""

        @property
        def control(self) -> LogView:
            """Alias of `log_view`."""
            return self.log_view

        def can_replace(self, message: Message) -> bool:
            """A newer state of the same view supersedes this one."""
            return isinstance(message, LogView.TailChanged) and message.log_view is self.log_view

    def __init__(
        self,
        *,
        max_lines: int = 100_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create a LogView.

        Args:
            max_lines: Keep at most this many newest lines (>= 1).
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled.
        """
        if max_lines < 1:
            raise ValueError("max_lines must be >= 1")
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.max_lines = max_lines
        self._blocks: list[_Block] = []
        self._tail: list[str] = []
        self._tail_block: _Block | None = None  # `_tail` as a block, built for searches
        self._first = 0  # global number of the first retained line
        self._next = 0  # global number of the next line to arrive
        self._width = 0
        self._cache: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(CACHE_SIZE)
        self._finder: _Finder | None = None
        self._generation = 0  # part of cache keys; bumped when highlighting changes
        self._match: int | None = None  # global number of the current match
        self._quiet = 0  # > 0 while we scroll ourselves

    @property
    def line_count(self) -> int:
        """Number of retained lines."""
        return self._next - self._first

    def get_line(self, index: int) -> str:
        """Return a retained line (0 is the oldest; negative counts from the end)."""
        if not -self.line_count <= index < self.line_count:
            raise IndexError("line index out of range")
        return self._line(self._first + index % self.line_count)

    def tail(self, count: int) -> list[str]:
        """Return the newest `count` lines, oldest first."""
        return [self._line(g) for g in range(max(self._first, self._next - count), self._next)]

    def _line(self, g: int) -> str:
        tail_g0 = self._next - len(self._tail)
        if g >= tail_g0:
            return self._tail[g - tail_g0]
        block = self._blocks[(g - self._blocks[0].g0) // BLOCK_LINES]
        offsets, j = block.offsets, g - block.g0
        return block.text[offsets[j] : offsets[j + 1] - 1]

    def write_lines(self, lines: Iterable[str]) -> None:
        """Append lines (sanitised), trim to `max_lines`, then scroll or count pending.

        Args:
            lines: Raw lines; never raises on odd content. One refresh per call.
        """
        batch = [x if isinstance(x, str) else str(x) for x in lines]
        if not batch:
            return
        joined = "\n".join(batch)
        if _SPECIAL.search(joined) is not None or joined.count("\n") != len(batch) - 1:
            batch = [part for line in batch for part in sanitise(line)]
        elif max(map(len, batch)) > MAX_LINE_CHARS:
            batch = [line[:MAX_LINE_CHARS] for line in batch]
        longest = max(map(len, batch)) if joined.isascii() else max(map(cell_len, batch))
        self._width = min(MAX_RENDER_CELLS, max(self._width, longest))
        tail = self._tail
        tail.extend(batch)
        self._next += len(batch)
        self._tail_block = None
        while len(tail) >= BLOCK_LINES:
            self._blocks.append(_make_block(self._next - len(tail), tail[:BLOCK_LINES]))
            del tail[:BLOCK_LINES]
        dropped = self._trim()
        self.virtual_size = Size(self._width, self.line_count)
        if self.follow:
            self._scroll_quietly(None, None)
        else:
            if dropped:  # keep the same lines in view
                self._scroll_quietly(None, max(0, self.scroll_offset.y - dropped))
            self.pending += len(batch)
        self.refresh()

    def _trim(self) -> int:
        """Drop lines beyond `max_lines`; return how many."""
        new_first = self._next - self.max_lines
        dropped = new_first - self._first
        if dropped <= 0:
            return 0
        self._first = new_first
        keep = 0
        while keep < len(self._blocks) and self._blocks[keep].g0 + BLOCK_LINES <= new_first:
            keep += 1
        del self._blocks[:keep]
        tail_g0 = self._next - len(self._tail)
        if new_first > tail_g0:
            del self._tail[: new_first - tail_g0]
        return dropped

    def clear(self) -> None:
        """Remove all lines and reset pending and the current match."""
        self._blocks.clear()
        self._tail.clear()
        self._tail_block = self._match = None
        self._first, self._width = self._next, 0
        self._cache.clear()
        self.virtual_size = Size(0, 0)
        self.pending = 0
        self.refresh()

    def _segments(self, lo: int, hi: int) -> Iterator[tuple[_Block, int, int]]:
        """Yield `(block, a, b)`: local line ranges covering the globals `[lo, hi)`."""
        if self._tail and self._tail_block is None:
            self._tail_block = _make_block(self._next - len(self._tail), self._tail)
        for block in [*self._blocks, *([self._tail_block] if self._tail_block else [])]:
            n = len(block.offsets) - 1
            a, b = max(lo, block.g0) - block.g0, min(hi, block.g0 + n) - block.g0
            if a < b:
                yield block, a, b

    def _find(self, finder: _Finder, lo: int, hi: int, backwards: bool) -> int | None:
        """Global number of the first (or last) matching line in `[lo, hi)`."""
        segments = list(self._segments(lo, hi))
        for block, a, b in reversed(segments) if backwards else segments:
            offsets = block.offsets
            hay = finder.hay(block.text)
            pos = finder.at(block.text, hay, offsets[a], offsets[b], backwards)
            if pos >= 0 and (j := bisect_right(offsets, pos) - 1) < b:
                return block.g0 + j
        return None

    def find_all(
        self, pattern: str, *, regex: bool = False, case_sensitive: bool = False
    ) -> list[int]:
        """Return the indexes of all retained lines matching `pattern` (view untouched).

        A literal search runs `str.find` over whole blocks; a bad regex raises `re.error`.
        """
        found: list[int] = []
        finder = _Finder(pattern, regex, case_sensitive)
        for block, a, b in self._segments(self._first, self._next) if pattern else ():
            offsets, text, hay = block.offsets, block.text, finder.hay(block.text)
            pos, end = offsets[a], offsets[b]
            while (hit := finder.at(text, hay, pos, end)) >= 0:
                if (j := bisect_right(offsets, hit) - 1) >= b:
                    break
                found.append(block.g0 + j - self._first)
                pos = offsets[j + 1]
        return found

    def search(
        self,
        pattern: str,
        *,
        backwards: bool = False,
        regex: bool = False,
        case_sensitive: bool = False,
    ) -> int | None:
        """Find the next (or previous) matching line, wrapping around, and show it.

        Starts after the current match of the same search, else from the viewport. Turns
        follow off and highlights matches of `pattern` in the visible lines.

        Returns:
            The line index (as for `get_line`) or `None` if nothing matches. A bad regex
            raises `re.error`.
        """
        if not pattern:
            return None
        finder = _Finder(pattern, regex, case_sensitive)
        if self._finder is None or self._finder.key != finder.key:
            self._match = None
        self._finder, self._generation = finder, self._generation + 1
        self.refresh()
        first, end = self._first, self._next
        current = self._match if self._match is not None and self._match >= first else None
        if current is None:  # start from the viewport: its bottom row, or its top row
            top, height = first + self.scroll_offset.y, self.scrollable_content_region.height
            current = top + height if backwards else top - 1
        start = min(max(current + (not backwards), first), end)
        ranges = [(first, start), (start, end)] if backwards else [(start, end), (first, start)]
        hits = (self._find(finder, lo, hi, backwards) for lo, hi in ranges)  # then wrap
        if (g := next((hit for hit in hits if hit is not None), None)) is None:
            return None
        self._match, self.follow = g, False
        region, line = self.scrollable_content_region, self._line(g)[:MAX_RENDER_CELLS]
        m = finder.regex.search(line)
        col, x = cell_len(line[: m.start()]) if m else 0, self.scroll_offset.x
        new_x = x if x <= col < x + region.width - 2 else max(0, col - region.width // 2)
        self._scroll_quietly(new_x, max(0, g - first - region.height // 3))
        return g - first

    def clear_search(self) -> None:
        """Drop the active search and its highlighting."""
        self._finder, self._match, self._generation = None, None, self._generation + 1
        self.refresh()

    def _scroll_quietly(self, x: float | None, y: float | None) -> None:
        """Scroll without the watcher taking it for the user; `y=None` means the end."""
        if not self.is_mounted:
            return
        self._quiet += 1
        try:
            if y is None:
                self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
            else:
                self.scroll_to(x, y, animate=False, immediate=True, force=True)
        finally:
            self._quiet -= 1

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Pause following when the user scrolls up; resume when they reach the end."""
        super().watch_scroll_y(old_value, new_value)
        # Textual moves the thumb only while the scrollbar shows; a forced scroll right after
        # `clear()` happens before it does, which left the thumb at the top.
        self.vertical_scrollbar.position = new_value
        if not self._quiet and new_value != old_value:
            at_end = new_value >= self.max_scroll_y
            if new_value < old_value and not at_end:
                self.follow = False
            elif new_value > old_value and at_end:
                self.follow = True

    def watch_follow(self, follow: bool) -> None:
        """Reset pending and jump to the end when following resumes."""
        self.set_class(not follow, "-paused")
        if follow:
            self.pending = 0
            self._scroll_quietly(None, None)
        self.post_message(self.TailChanged(self, follow, self.pending))

    def watch_pending(self, pending: int) -> None:
        """Report the new pending count."""
        self.post_message(self.TailChanged(self, self.follow, pending))

    def action_toggle_follow(self) -> None:
        """Toggle follow mode."""
        self.follow = not self.follow

    def action_resume_follow(self) -> None:
        """Jump to the end and follow."""
        self.follow = True
        self._scroll_quietly(None, None)

    def action_search_next(self, backwards: bool = False) -> None:
        """Repeat the last search (forwards unless `backwards`)."""
        if self._finder is not None:
            pattern, regex, case = self._finder.key
            self.search(pattern, backwards=backwards, regex=regex, case_sensitive=case)

    def notify_style_update(self) -> None:
        """Drop rendered strips when styles (e.g. the theme) change."""
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        """Drop rendered strips and keep the end in view while following."""
        self._cache.clear()
        if self.follow:
            self.call_after_refresh(self._scroll_quietly, None, None)

    def render_line(self, y: int) -> Strip:
        """Render one visible row (rendered strips are cached, LRU-bounded)."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        g = self._first + scroll_y + y
        if g >= self._next:
            return Strip.blank(width, self.rich_style)
        key = (g, scroll_x, width, self._generation)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._cache[key] = self._render_strip(self._line(g), scroll_x, width)
        return strip

    def _render_strip(self, text: str, scroll_x: int, width: int) -> Strip:
        text, base, pos = text[:MAX_RENDER_CELLS], self.rich_style, 0
        segments: list[Segment] = []
        if self._finder is not None:
            match_style = base + self.get_component_rich_style("log-view--match")
            for a, b in (m.span() for m in self._finder.regex.finditer(text)):
                if a < b:
                    segments += [Segment(text[pos:a], base), Segment(text[a:b], match_style)]
                    pos = b
        segments.append(Segment(text[pos:], base))
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
