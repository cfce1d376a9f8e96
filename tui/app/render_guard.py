"""The render gate: nothing drawn by Textual reaches the terminal with a control character in it.

Every cell Textual writes to the outer terminal goes through `textual.strip.Strip.render` (the
compositor's full, partial and inline updates all call it). `install_render_guard` wraps it once:
on a render-cache miss, the strip's text is searched (one regex scan) for a character that
`tui.core.printable.inert` rewrites, and its links too when the output has one; such a strip is
rendered from an inert copy (links with such a character in their target dropped, trailing
blanks trimmed by what the escapes widened it), and that becomes the cache. Clean strips render
exactly as before. The guard lives in the app because it needs both Textual and the core's
character table (`tui.core.printable`; the widgets may not import `tui`).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.core.printable import inert, needs_inert

_ORIGINAL = Strip.render
_OSC8 = "\x1b]8;"
_text = itemgetter(0)


def _guarded_render(self: Strip, console: Console) -> str:
    """`Strip.render`, with a strip holding a control or format character rendered inert."""
    if self._render_cache is None:
        segments = self._segments
        if not needs_inert("".join(map(_text, segments))):
            output = _ORIGINAL(self, console)
            if _OSC8 not in output or not any(_unsafe_link(style) for _, style, _ in segments):
                return output
        self._render_cache = _ORIGINAL(Strip(inert_segments(segments)), console)
    return _ORIGINAL(self, console)


def _unsafe_link(style: Style | None) -> bool:
    link = style._link if style is not None else None
    return link is not None and needs_inert(link)


def inert_segments(segments: Iterable[Segment]) -> list[Segment]:
    """`segments` with inert text and without unsafe link targets, no wider where it can help."""
    out: list[Segment] = []
    grown = 0
    for text, style, control in segments:
        if needs_inert(text):
            clean = inert(text)
            grown += cell_len(clean) - cell_len(text)
            text = clean
        if style is not None and _unsafe_link(style):
            style = style.update_link(None)
        out.append(Segment(text, style, control))
    index = len(out) - 1
    while grown > 0 and index >= 0:  # give the extra cells back from trailing blanks
        text, style, control = out[index]
        blank = len(text) - len(text.rstrip(" "))
        cut = min(blank, grown)
        out[index] = Segment(text[: len(text) - cut], style, control)
        grown -= cut
        if blank < len(text):
            break
        index -= 1
    return out


def install_render_guard() -> None:
    """Wrap `Strip.render` (once; later calls do nothing). Fails loudly if Textual changed."""
    if Strip.render is _guarded_render:
        return
    if Strip.render is not _ORIGINAL or "_render_cache" not in Strip.__slots__:
        raise RuntimeError(
            "textual.strip.Strip.render is not the method clusterdeck's render guard wraps: "
            "check tui/app/render_guard.py against this Textual version"
        )
    Strip.render = _guarded_render  # type: ignore[method-assign]


def remove_render_guard() -> None:
    """Put Textual's own `Strip.render` back (for benchmarks and tests)."""
    Strip.render = _ORIGINAL  # type: ignore[method-assign]


def render_guard_installed() -> bool:
    """True while `Strip.render` is guarded."""
    return Strip.render is _guarded_render
