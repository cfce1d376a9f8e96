"""`LogStore`: the bounded, compact, searchable line storage behind `LogView` (no Textual)."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import add
from typing import NamedTuple

from rich.cells import cell_len

BLOCK_LINES = 4096  # lines per sealed storage block
MAX_LINE_CHARS = 65_536  # longer lines are cut on ingest (keeps offsets within array('I'))
MAX_RENDER_CELLS = 1000  # lines render (and the virtual width is capped) to this many cells

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


class Finder:
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


class LogStore:
    """Lines in blocks of 4096 joined into one `str` with an `array('I')` of offsets, plus a
    small open tail list: a million 80-character lines cost about 85 MB. Lines are numbered
    globally (`first .. next - 1` are retained); trimming drops whole blocks from the front and
    hides the trimmed head of the first block, so `line_count == min(written, max_lines)`.
    """

    def __init__(self, max_lines: int) -> None:
        """Keep at most `max_lines` (>= 1) newest lines."""
        if max_lines < 1:
            raise ValueError("max_lines must be >= 1")
        self.max_lines = max_lines
        self.first = 0
        """Global number of the first retained line."""
        self.next = 0
        """Global number of the next line to arrive."""
        self.width = 0
        """Cells of the longest line seen (capped at `MAX_RENDER_CELLS`)."""
        self._blocks: list[_Block] = []
        self._tail: list[str] = []
        self._tail_block: _Block | None = None  # `_tail` as a block, built for searches

    @property
    def line_count(self) -> int:
        """Number of retained lines."""
        return self.next - self.first

    def line(self, g: int) -> str:
        """The retained line with global number `g`."""
        tail_g0 = self.next - len(self._tail)
        if g >= tail_g0:
            return self._tail[g - tail_g0]
        block = self._blocks[(g - self._blocks[0].g0) // BLOCK_LINES]
        offsets, j = block.offsets, g - block.g0
        return block.text[offsets[j] : offsets[j + 1] - 1]

    def append(self, batch: list[str]) -> tuple[int, int]:
        """Add raw lines (sanitised when needed); returns `(added, dropped by the limit)`."""
        if not batch:
            return 0, 0
        joined = "\n".join(batch)
        if _SPECIAL.search(joined) is not None or joined.count("\n") != len(batch) - 1:
            batch = [part for line in batch for part in sanitise(line)]
        elif max(map(len, batch)) > MAX_LINE_CHARS:
            batch = [line[:MAX_LINE_CHARS] for line in batch]
        longest = max(map(len, batch)) if joined.isascii() else max(map(cell_len, batch))
        self.width = min(MAX_RENDER_CELLS, max(self.width, longest))
        tail = self._tail
        tail.extend(batch)
        self.next += len(batch)
        self._tail_block = None
        while len(tail) >= BLOCK_LINES:
            self._blocks.append(_make_block(self.next - len(tail), tail[:BLOCK_LINES]))
            del tail[:BLOCK_LINES]
        return len(batch), self._trim()

    def _trim(self) -> int:
        """Drop lines beyond `max_lines`; return how many."""
        new_first = self.next - self.max_lines
        dropped = new_first - self.first
        if dropped <= 0:
            return 0
        self.first = new_first
        keep = 0
        while keep < len(self._blocks) and self._blocks[keep].g0 + BLOCK_LINES <= new_first:
            keep += 1
        del self._blocks[:keep]
        tail_g0 = self.next - len(self._tail)
        if new_first > tail_g0:
            del self._tail[: new_first - tail_g0]
        return dropped

    def clear(self) -> None:
        """Remove every line (numbering goes on)."""
        self._blocks.clear()
        self._tail.clear()
        self._tail_block = None
        self.first, self.width = self.next, 0

    def _segments(self, lo: int, hi: int) -> Iterator[tuple[_Block, int, int]]:
        """Yield `(block, a, b)`: local line ranges covering the globals `[lo, hi)`."""
        if self._tail and self._tail_block is None:
            self._tail_block = _make_block(self.next - len(self._tail), self._tail)
        for block in [*self._blocks, *([self._tail_block] if self._tail_block else [])]:
            n = len(block.offsets) - 1
            a, b = max(lo, block.g0) - block.g0, min(hi, block.g0 + n) - block.g0
            if a < b:
                yield block, a, b

    def texts(self, lo: int, hi: int) -> Iterator[str]:
        """The lines `[lo, hi)` (global numbers) in a few runs, each joined by newlines."""
        for block, a, b in self._segments(lo, hi):
            yield block.text[block.offsets[a] : block.offsets[b] - 1]

    def find(self, finder: Finder, lo: int, hi: int, backwards: bool) -> int | None:
        """Global number of the first (or last) matching line in `[lo, hi)`."""
        segments = list(self._segments(lo, hi))
        for block, a, b in reversed(segments) if backwards else segments:
            offsets = block.offsets
            hay = finder.hay(block.text)
            pos = finder.at(block.text, hay, offsets[a], offsets[b], backwards)
            if pos >= 0 and (j := bisect_right(offsets, pos) - 1) < b:
                return block.g0 + j
        return None

    def find_all(self, finder: Finder) -> list[int]:
        """Global numbers of every retained line that matches."""
        found: list[int] = []
        for block, a, b in self._segments(self.first, self.next):
            offsets, text, hay = block.offsets, block.text, finder.hay(block.text)
            pos, end = offsets[a], offsets[b]
            while (hit := finder.at(text, hay, pos, end)) >= 0:
                if (j := bisect_right(offsets, hit) - 1) >= b:
                    break
                found.append(block.g0 + j)
                pos = offsets[j + 1]
        return found
