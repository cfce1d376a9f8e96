"""Plain-text backlog: find the lines of an output chunk the emulator does not need to parse.

When a remote prints far more lines than the screen holds (`cat` of a big file, a chatty build),
most of them scroll straight into the scrollback. Parsing each one cell by cell only to read it
back is where the time goes. A `BacklogSplitter` cuts such a chunk into a head and a tail that
are fed as usual and, between them, whole lines ended by CR LF. Most of those are *plain*
(printable ASCII, no wider than the screen): long runs of plain lines can be filed as text
without being drawn. The others (`special`: tabs, other control characters, non-ASCII, too long
to fit) are fed as usual where they stand.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

CRLF = "\r\n"


class Backlog(NamedTuple):
    """A chunk cut around its lines."""

    head: str
    """Everything up to and including the first CR LF (fed as usual)."""
    lines: list[str]
    """The lines after it, without their CR LF (each ended by one in the stream)."""
    special: list[int]
    """Indexes of the lines that are not plain, ascending."""
    tail: str
    """Everything after the last CR LF (fed as usual)."""


def is_plain(line: str, cols: int) -> bool:
    """Printable ASCII (no control character at all) of at most `cols` characters."""
    return len(line) <= cols and line.isascii() and line.isprintable()


class BacklogSplitter:
    """Cuts chunks into `Backlog`s, with a memory: looking at every line of a chunk costs about
    a quarter of feeding it, so after a chunk whose special lines left no long plain run, the
    next chunks are fed as they are without a look: `pause` of them, twice as many after each
    further such miss (up to `max_pause`), and again `pause` once a chunk qualifies. Cheap
    misses (an escape, too few lines) change nothing."""

    def __init__(self, pause: int = 8, max_pause: int = 64) -> None:
        """Create a splitter; `pause` chunks are skipped after a miss (0: never)."""
        self.pause = pause
        self.max_pause = max_pause
        self._next_pause = pause
        self._paused = 0

    def split(self, text: str, cols: int, min_run: int) -> Backlog | None:
        """Cut `text` around its lines, or `None` when it has no run of `min_run` plain lines.

        A chunk with an escape character never qualifies: a sequence could span lines.
        """
        if self._paused:
            self._paused -= 1
            return None
        backlog = self._split(text, cols, min_run)
        if backlog is not None:
            self._next_pause = self.pause
        return backlog

    def _split(self, text: str, cols: int, min_run: int) -> Backlog | None:
        if len(text) < min_run * 2 or "\x1b" in text or text.count("\n") <= min_run:
            return None
        first = text.find(CRLF)
        last = text.rfind(CRLF)
        if first < 0 or last == first:
            return None
        body = text[first + 2 : last]
        lines = body.split(CRLF)
        if body.isascii() and "".join(lines).isprintable() and max(map(len, lines)) <= cols:
            special = []
        else:
            special = [i for i, line in enumerate(lines) if not is_plain(line, cols)]
            ends = [-1, *special, len(lines)]
            if max(b - a - 1 for a, b in pairwise(ends)) < min_run:
                self._paused = self._next_pause
                self._next_pause = min(self.max_pause, 2 * self._next_pause)
                return None
        return Backlog(text[: first + 2], lines, special, text[last + 2 :])


def split_backlog(text: str, cols: int, min_run: int) -> Backlog | None:
    """`BacklogSplitter.split` without the memory."""
    return BacklogSplitter(pause=0).split(text, cols, min_run)
