"""`WrapIndex`: where each line of a `LogStore` starts when lines wrap at a width (no Textual)."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import accumulate, compress, count, islice, repeat
from operator import add, floordiv, not_

from rich.cells import get_character_cell_size

from widgets.log.store import MAX_RENDER_CELLS, LogStore


def row_spans(line: str, width: int) -> list[tuple[int, int]]:
    """The cells `[start, end)` of each row of `line` wrapped at `width`; a wide character is
    never split (lines render up to `MAX_RENDER_CELLS` characters)."""
    line = line[:MAX_RENDER_CELLS]
    if line.isascii():
        return [(a, min(a + width, len(line))) for a in range(0, len(line), width)] or [(0, 0)]
    spans: list[tuple[int, int]] = []
    start = used = 0
    for char in line:
        cells = get_character_cell_size(char)
        if used and used + cells > width:
            spans.append((start, start + used))
            start, used = start + used, 0
        used += cells
    spans.append((start, start + used))
    return spans


def wrapped_rows(line: str, width: int) -> int:
    """Rows `line` takes wrapped at `width` cells (at least one)."""
    if line.isascii():
        return max(1, -(-min(len(line), MAX_RENDER_CELLS) // width))
    return len(row_spans(line, width))


def row_at_cell(line: str, width: int, cell: int) -> int:
    """The row of `line` wrapped at `width` that shows `cell`."""
    spans = row_spans(line, width)
    return next((i for i, (_, end) in enumerate(spans) if cell < end), len(spans) - 1)


class WrapIndex:
    """Prefix sums of the rows of a store's lines wrapped at `width`: row <-> (line, part).

    Rows are counted from the first retained line. Lines are added as they arrive
    (`catch_up`); trimmed ones are forgotten lazily, so every call is cheap but the first
    after a width change (`rebuild`: one pass over the retained lines, in C for ASCII ones).
    """

    def __init__(self, store: LogStore) -> None:
        self._store = store
        self.width = 0
        self._base = 0  # global number of the line that `_starts[0]` belongs to
        self._starts = array("Q", [0])  # _starts[i]: rows before line base + i (from base)

    def rebuild(self, width: int) -> None:
        """Index every retained line at `width` (>= 1)."""
        self.width = max(1, width)
        self._base = self._store.first
        self._starts = array("Q", [0])
        self.catch_up()

    def catch_up(self) -> None:
        """Index lines that arrived since the last call; forget trimmed ones now and then."""
        store, starts = self._store, self._starts
        if store.first > self._base + len(starts) - 1:  # everything indexed was trimmed
            self.rebuild(self.width)
            return
        if store.first - self._base > len(starts) // 2:
            drop = store.first - self._base
            self._starts = starts = array("Q", (n - starts[drop] for n in starts[drop:]))
            self._base = store.first
        for text in store.texts(self._base + len(starts) - 1, store.next):
            starts.extend(islice(accumulate(self._rows(text), initial=starts[-1]), 1, None))

    def _rows(self, text: str) -> list[int]:
        """Rows of each line of `text` (lines joined by newlines); ASCII ones computed in C."""
        lines, width = text.split("\n"), self.width
        cells = map(min, map(len, lines), repeat(MAX_RENDER_CELLS))
        rows = list(
            map(max, map(floordiv, map(add, cells, repeat(width - 1)), repeat(width)), repeat(1))
        )
        if not text.isascii():
            for i in compress(count(), map(not_, map(str.isascii, lines))):
                rows[i] = wrapped_rows(lines[i], width)
        return rows

    def _offset(self) -> int:
        return self._starts[self._store.first - self._base]

    def total(self) -> int:
        """Rows of every retained line."""
        return self._starts[-1] - self._offset()

    def row_of(self, g: int) -> int:
        """The first row of line `g`."""
        return self._starts[g - self._base] - self._offset()

    def line_at(self, row: int) -> tuple[int, int]:
        """`(line, row within it)` shown on `row` (0 <= row < total())."""
        absolute = row + self._offset()
        i = bisect_right(self._starts, absolute) - 1
        return self._base + i, absolute - self._starts[i]
