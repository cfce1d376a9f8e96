"""Mouse selection in buffer coordinates (scrollback + screen), and its text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Point = tuple[int, int]
"""`(line, column)`: `line` is an absolute line number (see `TerminalView`), stable while the
screen scrolls into the scrollback."""


@dataclass(slots=True)
class Selection:
    """A stream selection from `anchor` (mouse down) to `head` (the mouse now), both inclusive."""

    anchor: Point
    head: Point

    @property
    def empty(self) -> bool:
        """A click without a drag selects nothing."""
        return self.anchor == self.head

    def bounds(self) -> tuple[Point, Point]:
        """`(start, end)` in reading order."""
        return (self.anchor, self.head) if self.anchor <= self.head else (self.head, self.anchor)

    def span(self, line: int, width: int) -> tuple[int, int] | None:
        """The selected columns `[start, end)` of `line`, or `None` when it has none."""
        if self.empty:
            return None
        (line0, col0), (line1, col1) = self.bounds()
        if not line0 <= line <= line1:
            return None
        start = col0 if line == line0 else 0
        end = col1 + 1 if line == line1 else width
        return (start, end) if start < end else None

    def text(self, cells: Callable[[int], list[str]]) -> str:
        """The selected text; `cells(line)` gives one string per column of a line (or `[]`)."""
        if self.empty:
            return ""
        (line0, _), (line1, _) = self.bounds()
        rows: list[str] = []
        for line in range(line0, line1 + 1):
            row = cells(line)
            span = self.span(line, len(row))
            if span is not None:
                rows.append("".join(row[span[0] : span[1]]).rstrip())
        return "\n".join(rows)
