"""Rows to Textual `Strip`s: cell styles to Rich styles (cached) and overlays."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rich.cells import cell_len, chop_cells
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from widgets.terminal.emulator import CellStyle, Colour, Emulator, Run


def _rich_colour(colour: Colour) -> Color | None:
    if colour is None:
        return None
    if isinstance(colour, int):
        return Color.from_ansi(colour & 0xFF)
    return Color.from_rgb(*colour)


@lru_cache(maxsize=4096)
def rich_style(style: CellStyle) -> Style:
    """The Rich style of a cell style (attributes that are off stay unset, to inherit CSS)."""
    return Style(
        color=_rich_colour(style.fg),
        bgcolor=_rich_colour(style.bg),
        bold=style.bold or None,
        dim=style.faint or None,
        italic=style.italic or None,
        underline=style.underline or None,
        strike=style.strike or None,
        blink=style.blink or None,
        reverse=style.reverse or None,
    )


def runs_to_strip(runs: list[Run], width: int) -> Strip:
    """A strip of exactly `width` cells from a row's runs."""
    segments = [Segment(run.text, rich_style(run.style)) for run in runs]
    strip = Strip(segments)
    return strip if strip.cell_length == width else strip.crop_extend(0, width, None)


def style_at(runs: list[Run], x: int) -> Style:
    """The Rich style of column `x` in a row (a plain `Style()` past the end)."""
    for run in runs:
        if x < run.cells:
            return rich_style(run.style)
        x -= run.cells
    return Style()


def overlay(strip: Strip, start: int, end: int, style: Style) -> Strip:
    """Apply `style` on top of cells `start <= x < end` of `strip`."""
    width = strip.cell_length
    start, end = max(0, start), min(end, width)
    if start >= end:
        return strip
    left, middle, right = strip.divide([start, end, width])
    middle = Strip(
        [Segment(seg.text, (seg.style or Style()) + style, seg.control) for seg in middle],
        middle.cell_length,
    )
    return Strip.join([left, middle, right])


def label(strip: Strip, text: str, style: Style, *, right: bool = False) -> Strip:
    """Write `text` over the start (or the end) of `strip`, keeping its width."""
    width = strip.cell_length
    tag = Strip([Segment(text, style)]).crop(0, width)
    size = tag.cell_length
    if right:
        return Strip.join([strip.crop(0, width - size), tag])
    return Strip.join([tag, strip.crop(size, width)])


@lru_cache(maxsize=64)
def wrap_cells(text: str, width: int) -> tuple[str, ...]:
    """`text` cut into lines of at most `width` cells, at spaces where it can be."""
    width = max(1, width)
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if cell_len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, width) or [""]
        lines.extend(pieces[:-1])
        line = pieces[-1]
    lines.append(line)
    return tuple(lines)


class RowPainter:
    """Builds and caches the base strip (no overlays) of each buffer line.

    Screen rows are cached by row and dropped when the emulator reports them dirty; scrollback
    lines never change, so they are cached by absolute line number in an LRU.
    """

    def __init__(self, history_cache: int = 1024) -> None:
        self._rows: dict[int, Strip] = {}
        self._history: LRUCache[int, Strip] = LRUCache(history_cache)

    def invalidate(self, rows: Iterable[int]) -> None:
        """Forget screen rows that changed."""
        for y in rows:
            self._rows.pop(y, None)

    def clear(self) -> None:
        """Forget every screen row (resize, reconnect)."""
        self._rows.clear()

    def strip(self, emulator: Emulator, index: int) -> Strip:
        """The strip of buffer line `index` (blank outside the buffer), `cols` cells wide."""
        cols, rows = emulator.size
        history = emulator.history_size
        if index < 0 or index >= history + rows:
            return Strip.blank(cols)
        if index < history:
            line_id = emulator.history_total - history + index
            cached = self._history.get(line_id)
            if cached is None or cached.cell_length != cols:
                cached = self._history[line_id] = runs_to_strip(emulator.line_runs(index), cols)
            return cached
        row = self._rows.get(index - history)
        if row is None or row.cell_length != cols:
            row = self._rows[index - history] = runs_to_strip(emulator.line_runs(index), cols)
        return row
