"""`ScreenView`: which buffer lines are visible, what to repaint, and each row's final strip."""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from widgets.terminal.emulator import Emulator
from widgets.terminal.links import LinkMap
from widgets.terminal.render import RowPainter, label, overlay, style_at, wrap_cells
from widgets.terminal.selection import Selection


def row_regions(rows: set[int], width: int) -> list[Region]:
    """Regions covering `rows`, one per run of consecutive rows."""
    regions: list[Region] = []
    for y in sorted(rows):
        if regions and regions[-1].bottom == y:
            regions[-1] = regions[-1].grow((0, 0, 1, 0))
        else:
            regions.append(Region(0, y, width, 1))
    return regions


class Overlays(NamedTuple):
    """What is drawn over the screen, and its styles (from the view's component classes)."""

    cursor: bool
    """Draw the cursor (focused, session running)."""
    selection: Selection | None
    status: str | None
    """The exit/failure line, wrapped onto the bottom rows."""
    cursor_style: Style
    selection_style: Style
    status_style: Style
    links: LinkMap | None = None
    """OSC 8 hyperlinks, drawn with `link_style`."""
    link_style: Style = Style(underline=True)


class ScreenView:
    """The visible window on the buffer: the live screen, or a scrollback position that stays
    on the same lines while new ones arrive. Paints rows with caching and overlays."""

    def __init__(self) -> None:
        self.scrolled = 0
        """Lines scrolled back into the scrollback (0 = live)."""
        self.painter = RowPainter()
        self._seen_total = 0
        self._painted_cursor: int | None = None

    def index(self, emulator: Emulator, y: int) -> int:
        """The buffer index of visible row `y`."""
        return emulator.history_size - self.scrolled + y

    def line_id(self, emulator: Emulator, y: int) -> int:
        """The absolute line number of visible row `y` (stable as lines scroll off)."""
        return emulator.history_total - self.scrolled + y

    def sync(self, emulator: Emulator) -> bool:
        """Follow lines pushed into the scrollback while scrolled back; True if the view moved."""
        pushed = emulator.history_total - self._seen_total
        self._seen_total = emulator.history_total
        if pushed and self.scrolled:
            self.scrolled = min(self.scrolled + pushed, emulator.history_size)
            return True
        return False

    def scroll(self, emulator: Emulator, lines: int) -> bool:
        """Scroll back by `lines` (negative: forward), clamped; True if the view moved."""
        self.sync(emulator)
        scrolled = min(max(self.scrolled + lines, 0), emulator.history_size)
        moved, self.scrolled = scrolled != self.scrolled, scrolled
        return moved

    def resized(self, emulator: Emulator) -> None:
        """The screen size changed: drop cached rows, clamp the position."""
        self.painter.clear()
        self.scrolled = min(self.scrolled, emulator.history_size)

    def cursor_row(self, emulator: Emulator, shown: bool) -> int | None:
        """The visible row of the cursor, if it is drawn."""
        if not shown or not emulator.cursor_visible:
            return None
        y = emulator.cursor[1] + self.scrolled
        return y if y < emulator.size[1] else None

    def frame(self, emulator: Emulator, cursor_shown: bool) -> set[int] | None:
        """Take the emulator's dirty rows; the visible rows to repaint, or `None` for all."""
        dirty = emulator.take_dirty()
        self.painter.invalidate(dirty)
        if self.sync(emulator) or self.scrolled:
            return None
        cursor = self.cursor_row(emulator, cursor_shown)
        rows = dirty | {r for r in (cursor, self._painted_cursor) if r is not None}
        self._painted_cursor = cursor
        return rows

    def text(self, emulator: Emulator) -> list[str]:
        """The visible rows as plain text."""
        rows = range(emulator.size[1])
        return ["".join(emulator.line_cells(self.index(emulator, y))).rstrip() for y in rows]

    def style(self, emulator: Emulator, x: int, y: int) -> Style:
        """The Rich style of a visible cell (no overlays)."""
        return style_at(emulator.line_runs(self.index(emulator, y)), x)

    def render(self, emulator: Emulator, y: int, height: int, overlays: Overlays) -> Strip:
        """Visible row `y` with selection, cursor, scrollback marker and status drawn over it."""
        cols, rows = emulator.size
        index = self.index(emulator, y)
        strip = self.painter.strip(emulator, index) if y < rows else Strip.blank(cols)
        if overlays.links is not None:
            for link in overlays.links.spans(self.line_id(emulator, y)):
                strip = overlay(strip, link.start, link.end, overlays.link_style)
        selection = overlays.selection
        span = None if selection is None else selection.span(self.line_id(emulator, y), cols)
        if span is not None:
            strip = overlay(strip, *span, overlays.selection_style)
        if y == self.cursor_row(emulator, overlays.cursor):
            x = emulator.cursor[0]
            cells = emulator.line_cells(index)
            width = 2 if x + 1 < len(cells) and cells[x + 1] == "" else 1
            strip = overlay(strip, x, x + width, overlays.cursor_style)
        if y == 0 and self.scrolled:
            marker = f"[scrollback -{self.scrolled}]"
            strip = label(strip, marker, overlays.status_style, right=True)
        if overlays.status is not None:
            lines = wrap_cells(overlays.status, strip.cell_length)[-height:]
            row = y - (height - len(lines))
            if 0 <= row < len(lines):
                blank = Strip.blank(strip.cell_length, overlays.status_style)
                strip = label(blank, lines[row], overlays.status_style)
        return strip
