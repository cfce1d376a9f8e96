"""Rows to Textual `Strip`s: cell styles to Rich styles (cached) and overlays."""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from widgets.terminal.emulator import CellStyle, Colour, Run


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
    cells = sum(run.cells for run in runs)
    strip = Strip(segments, cells)
    return strip if cells == width else strip.crop_extend(0, width, None)


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
    parts = strip.divide([start, end, width])
    left, middle, right = (parts + [Strip([], 0)] * 3)[:3]
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
