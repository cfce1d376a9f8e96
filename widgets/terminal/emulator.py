"""The screen model behind `TerminalView`: a small `Emulator` protocol and its pyavt adapter.

The view only talks to the protocol, so another engine (libghostty-vt via `evp` on Python >= 3.13)
can be added beside `AvtEmulator` without touching the widget. Text goes in as `str` (the caller
decodes UTF-8 incrementally); rows come out as runs of text with a hashable `CellStyle`.
"""

from __future__ import annotations

import re
from collections import deque
from typing import NamedTuple, Protocol

# The stubs live in `avt._avt` (the package re-exports without `as`, hidden from mypy --strict).
from avt._avt import Color, Line, Pen, Vt
from rich.cells import cell_len

from widgets.terminal.backlog import CRLF, Backlog, BacklogSplitter

Colour = int | tuple[int, int, int] | None
"""A cell colour: `None` (the default), a 256-colour palette index, or an RGB triple."""


class CellStyle(NamedTuple):
    """The attributes of a run of cells (hashable, so converted styles can be cached)."""

    fg: Colour = None
    bg: Colour = None
    bold: bool = False
    faint: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    blink: bool = False
    reverse: bool = False


DEFAULT_STYLE = CellStyle()


class Run(NamedTuple):
    """Consecutive cells with the same style."""

    text: str
    """The characters (a wide character counts once but covers two cells)."""
    style: CellStyle
    """Their attributes."""
    cells: int
    """How many terminal columns the run covers."""


class Emulator(Protocol):
    """What `TerminalView` needs from a terminal-emulation engine.

    Lines are addressed as one buffer: `0 .. history_size - 1` is the scrollback (oldest
    first), `history_size + y` is row `y` of the screen.
    """

    @property
    def size(self) -> tuple[int, int]:
        """The screen size as `(cols, rows)`."""
        ...

    def feed(self, text: str) -> None:
        """Process decoded output from the remote."""
        ...

    def resize(self, cols: int, rows: int) -> None:
        """Change the screen size (every row becomes dirty)."""
        ...

    def take_dirty(self) -> set[int]:
        """Screen rows changed since the last call (and forget them)."""
        ...

    @property
    def cursor(self) -> tuple[int, int]:
        """The cursor as `(x, y)`, 0-based, clamped to the screen."""
        ...

    @property
    def cursor_visible(self) -> bool:
        """False while the remote hid the cursor (`CSI ? 25 l`)."""
        ...

    @property
    def history_size(self) -> int:
        """Lines currently held in the scrollback."""
        ...

    @property
    def history_total(self) -> int:
        """Lines ever pushed into the scrollback (monotonic; anchors a scrolled-back view)."""
        ...

    def line_runs(self, index: int) -> list[Run]:
        """The styled runs of one buffer line (empty when out of range)."""
        ...

    def fresh_screen(self, separator: str) -> None:
        """File the screen's lines (to the last one used) and `separator` in the scrollback,
        then start a blank screen in its initial state (for a new session)."""
        ...

    def line_cells(self, index: int) -> list[str]:
        """One string per column of a buffer line; `""` for the right half of a wide char."""
        ...


def _colour(colour: Color | None) -> Colour:
    if colour is None:
        return None
    if isinstance(colour, Color.Indexed):
        return colour[0]
    if isinstance(colour, Color.RGB):
        return (colour[0], colour[1], colour[2])
    return None


def _style(pen: Pen) -> CellStyle:
    if pen.is_default():
        return DEFAULT_STYLE
    return CellStyle(
        _colour(pen.foreground),
        _colour(pen.background),
        pen.bold,
        pen.faint,
        pen.italic,
        pen.underline,
        pen.strikethrough,
        pen.blink,
        pen.inverse,
    )


def _runs(line: Line) -> list[Run]:
    """Group a line's cells into runs; pens are compared natively and converted once per run."""
    runs: list[Run] = []
    chars: list[str] = []
    pen: Pen | None = None
    style = DEFAULT_STYLE
    width = 0
    for cell in line.cells:
        cell_width = cell.width
        if cell_width == 0:
            continue
        cell_pen = cell.pen
        if pen is None or cell_pen != pen:
            if chars:
                runs.append(Run("".join(chars), style, width))
            chars, width, pen, style = [], 0, cell_pen, _style(cell_pen)
        char = cell.char
        if not char.isascii() and (measured := cell_len(char)) < cell_width:
            char += " " * (cell_width - measured)  # e.g. a combining mark in a cell of its own
        chars.append(char)
        width += cell_width
    if chars:
        runs.append(Run("".join(chars), style, width))
    return runs


def _cells(line: Line) -> list[str]:
    return ["" if cell.width == 0 else cell.char for cell in line.cells]


_DRAWING = re.compile("[`-~]")
"""The characters avt's DEC special graphics set redraws."""

_ALT_SCREEN = re.compile(r"\x1b\[\?(?:[0-9]*;)*(?:47|1047|1049)(?:;[0-9]*)*h")
"""A switch to the alternate screen (DECSET 47, 1047 or 1049, maybe among other modes)."""

HistoryLine = Line | str
"""A scrollback line: as avt returned it, or plain ASCII text in the default style."""

MIN_COLS = 2
"""pyavt panics (a BaseException) resizing a screen that holds a wide character to one column,
so the screen is never narrower than this."""


class AvtEmulator:
    """`Emulator` over pyavt (asciinema's avt): fast, alternate screen, scroll regions, reflow.

    avt runs with no scrollback of its own: every line that scrolls off the top of the primary
    screen comes back from `feed_str`, and lands in a bounded deque here. That keeps feeding at
    full speed and gives exact, O(1) access to the scrollback.

    A long run of plain lines (see `BacklogSplitter`) takes a fast path with the same result as
    feeding it: avt draws the first and the last screenful, and the lines between go to the
    scrollback as text, once avt has shown that they would land there unchanged.
    """

    def __init__(self, cols: int, rows: int, *, scrollback: int = 10_000) -> None:
        """Create the screen.

        Args:
            cols: Columns (at least `MIN_COLS` are made).
            rows: Rows (>= 1).
            scrollback: Lines of history kept (>= 0).
        """
        cols, rows = max(MIN_COLS, cols), max(1, rows)
        self._vt = Vt(cols, rows, scrollback_limit=0)
        self._cols, self._rows = cols, rows
        self._history: deque[HistoryLine] = deque(maxlen=max(0, scrollback))
        self._pushed = 0
        self._dirty: set[int] = set(range(rows))
        self._splitter = BacklogSplitter()

    @property
    def size(self) -> tuple[int, int]:
        return self._cols, self._rows

    def feed(self, text: str) -> None:
        if "\x7f" in text:
            text = text.replace("\x7f", "")  # ignored anywhere, as by a VT100; avt draws it
        if not text:
            return
        backlog = self._splitter.split(text, self._cols, self._min_run) if self._rows > 1 else None
        if backlog is None:
            self._feed(text)
        else:
            self._feed_backlog(backlog)

    @property
    def _min_run(self) -> int:
        """Plain lines worth the fast path: four screenfuls (avt still draws two)."""
        return 4 * self._rows

    def _feed(self, text: str) -> int:
        """Feed avt; returns how many lines scrolled off the screen."""
        if "\x1b[?" not in text:
            return self._feed_avt(text)
        # avt reports the lines a feed scrolled off only when the feed ends on the primary
        # screen: feed up to each switch to the alternate screen first.
        scrolled = start = 0
        for match in _ALT_SCREEN.finditer(text):
            if match.start() > start:
                scrolled += self._feed_avt(text[start : match.start()])
                start = match.start()
        return scrolled + self._feed_avt(text[start:])

    def _feed_avt(self, text: str) -> int:
        changed, scrolled = self._vt.feed_str(text)
        self._dirty.update(changed)
        self._push(scrolled)
        return len(scrolled)

    def _feed_backlog(self, backlog: Backlog) -> None:
        """Feed the head, each long run of plain lines by `_feed_plain_run` and the rest (in
        order, batched) through avt."""
        lines, pending = backlog.lines, [backlog.head]
        start = 0
        for stop in [*backlog.special, len(lines)]:
            run = lines[start:stop]
            if len(run) >= self._min_run:
                self._feed("".join(pending))
                pending = []
                self._feed_plain_run(run)
            elif run:
                pending.append(CRLF.join(run) + CRLF)
            if stop < len(lines):
                pending.append(lines[stop] + CRLF)
            start = stop + 1
        pending.append(backlog.tail)
        self._feed("".join(pending))

    def _feed_plain_run(self, lines: list[str]) -> None:
        """Feed plain lines (the cursor at the start of a line) with the result of feeding
        them one by one, filing the middle ones as text when avt shows that is safe."""
        rows = self._rows
        start_row = self._vt.cursor.row
        scrolled = self._feed(CRLF.join(lines[:rows]) + CRLF)
        if not self._drew_plainly(lines[:rows], scrolled == start_row + 1, lines[rows:]):
            self._feed(CRLF.join(lines[rows:]) + CRLF)
            return
        # The screen shows lines[1:rows] over a blank bottom row. Scroll them off, file the
        # middle as text, then draw the last screenful from the top of the blank screen: the
        # scrollback and the screen end up as if every line had been fed.
        self._feed(CRLF * (rows - 1))
        middle = lines[rows:-rows]
        self._history.extend(middle[-self._history.maxlen :] if self._history.maxlen else ())
        self._pushed += len(middle)
        self._feed("\x1b[H" + CRLF.join(lines[-rows:]) + CRLF)
        self._dirty = set(range(rows))

    def _drew_plainly(self, lines: list[str], scrolled_all: bool, rest: list[str]) -> bool:
        """After feeding `lines` (a screenful), check they scrolled up the whole screen in the
        default pen and character set with the parser at rest: rows `0 .. rows - 2` show
        `lines[1:]`, one of them not blank, and the cursor sits at the start of a blank bottom
        row. `rest` are the lines still to come."""
        vt, rows = self._vt, self._rows
        cursor = vt.cursor
        if not scrolled_all or (cursor.row, cursor.col) != (rows - 1, 0):
            return False
        shown = [line.rstrip() for line in lines[1:]]
        if not any(shown) or [text.rstrip() for text in vt.text()] != [*shown, ""]:
            return False  # all blank: a sequence left open (CR and LF run inside one) may remain
        if not (vt[rows - 1][0].pen.is_default() and vt[rows - 2][0].pen.is_default()):
            return False
        # A printed character drawn as itself proves the parser is at rest. avt's only other
        # character set, DEC line drawing, changes exactly "`" to "~": one of those drawn as
        # itself proves ASCII; without any, only lines free of them are safe.
        return any(map(_DRAWING.search, shown)) or not any(map(_DRAWING.search, rest))

    def resize(self, cols: int, rows: int) -> None:
        cols, rows = max(MIN_COLS, cols), max(1, rows)
        if (cols, rows) == (self._cols, self._rows):
            return
        _changed, scrolled = self._vt.resize(cols, rows)
        self._cols, self._rows = cols, rows
        self._push(scrolled)
        self._dirty = set(range(rows))

    def fresh_screen(self, separator: str) -> None:
        self._feed("\x1b[?1049l")  # back to the primary screen, whose lines are kept
        vt, rows = self._vt, self._rows
        text = [line.rstrip() for line in vt.text()]
        used = max([y for y in range(rows) if text[y]] + [min(vt.cursor.row, rows - 1) - 1])
        self._push([vt[y] for y in range(used + 1)])
        self._history.append(separator[: self._cols])
        self._pushed += 1
        self._vt = Vt(self._cols, rows, scrollback_limit=0)
        self._splitter = BacklogSplitter()
        self._dirty = set(range(rows))

    def _push(self, lines: list[Line]) -> None:
        if lines:
            self._history.extend(lines)
            self._pushed += len(lines)

    def take_dirty(self) -> set[int]:
        dirty, self._dirty = self._dirty, set()
        return {y for y in dirty if 0 <= y < self._rows}

    @property
    def cursor(self) -> tuple[int, int]:
        cursor = self._vt.cursor
        return (
            min(max(cursor.col, 0), self._cols - 1),
            min(max(cursor.row, 0), self._rows - 1),
        )

    @property
    def cursor_visible(self) -> bool:
        return self._vt.cursor.visible

    @property
    def history_size(self) -> int:
        return len(self._history)

    @property
    def history_total(self) -> int:
        return self._pushed

    def _line(self, index: int) -> HistoryLine | None:
        history = len(self._history)
        if 0 <= index < history:
            return self._history[index]
        row = index - history
        if 0 <= row < self._rows:  # avt panics (BaseException) out of range: check first
            return self._vt[row]
        return None

    def line_runs(self, index: int) -> list[Run]:
        line = self._line(index)
        if isinstance(line, str):
            text = line.ljust(self._cols)
            return [Run(text, DEFAULT_STYLE, len(text))]
        return [] if line is None else _runs(line)

    def line_cells(self, index: int) -> list[str]:
        line = self._line(index)
        if isinstance(line, str):
            return list(line.ljust(self._cols))
        return [] if line is None else _cells(line)
