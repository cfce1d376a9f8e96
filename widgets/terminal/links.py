"""OSC 8 hyperlinks: which cells of which lines link where (`ESC ] 8 ; params ; URI ST`).

The model records where the cursor was when a link opened and closed; the spans between are
kept by absolute line number (stable as lines scroll into the scrollback), for the newest
`MAX_LINES` lines that hold links. The view underlines them and reports a click on one; it
never opens anything itself.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_URL_CHARS = 2048
"""Longer URIs are not links (xterm and VTE use similar caps)."""
MAX_LINES = 5000
"""Lines with links remembered; older ones lose their links."""


class LinkSpan(NamedTuple):
    """Cells `start <= x < end` of one line link to `url`."""

    start: int
    end: int
    url: str


class LinkMap:
    """The links drawn so far, by absolute line number."""

    def __init__(self) -> None:
        self._lines: dict[int, list[LinkSpan]] = {}
        self._open: tuple[str, int, int] | None = None

    def set(self, url: str, line: int, x: int, cols: int) -> None:
        """OSC 8 at the cursor (`line`, `x`): `url` starts a link there, "" ends the open one."""
        if self._open is not None:
            self._close(line, x, cols)
        if url and len(url) <= MAX_URL_CHARS and url.isprintable():
            self._open = (url, line, x)

    def _close(self, line: int, x: int, cols: int) -> None:
        assert self._open is not None
        url, first, start = self._open
        self._open = None
        if line < first or line - first > 100:
            return  # the screen was cleared or reflowed meanwhile: no sensible span
        for number in range(first, line + 1):
            begin = start if number == first else 0
            end = x if number == line else cols
            if end > begin:
                self._lines.setdefault(number, []).append(LinkSpan(begin, end, url))
        while len(self._lines) > MAX_LINES:
            del self._lines[next(iter(self._lines))]

    def spans(self, line: int) -> list[LinkSpan]:
        """The links on absolute line `line`."""
        return self._lines.get(line, [])

    def at(self, line: int, x: int) -> str | None:
        """The URL of the link under cell `x` of `line`, if any."""
        for span in self._lines.get(line, ()):
            if span.start <= x < span.end:
                return span.url
        return None

    def clear(self) -> None:
        """Forget every link (a new session)."""
        self._lines.clear()
        self._open = None
