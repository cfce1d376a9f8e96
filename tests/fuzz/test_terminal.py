"""Fuzz the terminal model the view uses (pyavt emulator + mode scanner) with hostile streams.

Properties, for any stream from `terminal_streams` cut into any chunks, with resizes between:
- no exception escapes `TerminalModel.feed` / `resize`;
- the visible text (screen and scrollback) holds no C0, DEL or C1 control character, and every
  row paints as a strip exactly `cols` cells wide, free of them too;
- the title the view reports (`scanner.title`) holds none and stays within its cap;
- query replies are only well-formed reports, cursor reports inside the screen;
- the chunking changes nothing: screen, cursor, modes, title, replies and clipboard writes are
  those of the same stream fed whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import fuzz
from tests.fuzz.terminal_streams import chunked, sizes, streams
from widgets.terminal.model import TerminalModel
from widgets.terminal.render import RowPainter
from widgets.terminal.scanner import MAX_TITLE_CHARS

CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
REPLY = re.compile(
    rb"\x1b\[(?P<private>\??)(?P<row>\d+);(?P<col>\d+)R"  # CPR
    rb"|\x1b\[\?62;22c|\x1b\[>1;10;0c|\x1b\[0n"  # DA1, DA2, DSR ok
    rb"|\x1b\[\?\d{1,70};[012]\$y"  # DECRPM
)
CLIPBOARD_LIMIT = 4096


@contextmanager
def no_panic() -> Iterator[None]:
    """Report a pyavt panic (`pyo3_runtime.PanicException`, a BaseException that Hypothesis
    would not shrink) as a plain failure."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception:
        raise
    except BaseException as exc:
        raise AssertionError(f"the emulator panicked: {type(exc).__name__}: {exc}") from exc


def check_replies(replies: bytes, cols: int, rows: int) -> None:
    pos = 0
    while pos < len(replies):
        match = REPLY.match(replies, pos)
        assert match is not None, f"malformed reply at {pos}: {replies[pos : pos + 40]!r}"
        if match["row"] is not None:
            assert 1 <= int(match["row"]) <= rows and 1 <= int(match["col"]) <= cols, match[0]
        pos = match.end()


def check_screen(model: TerminalModel) -> None:
    emulator = model.emulator
    cols, rows = emulator.size
    history = emulator.history_size
    painter = RowPainter()
    for index in range(max(0, history - rows), history + rows):
        text = "".join(emulator.line_cells(index))
        assert not CONTROLS.search(text), f"control character in line {index}: {text!r}"
        strip = painter.strip(emulator, index)
        assert strip.cell_length == cols
        painted = "".join(segment.text for segment in strip)
        assert not CONTROLS.search(painted), f"control character painted: {painted!r}"
    for line in model.screen_lines():
        assert not CONTROLS.search(line), line


def check_title(model: TerminalModel) -> None:
    title = model.scanner.title
    assert not CONTROLS.search(title), f"control character in the title: {title!r}"
    assert len(title) <= MAX_TITLE_CHARS


def state(model: TerminalModel) -> tuple[object, ...]:
    emulator = model.emulator
    history = ["".join(emulator.line_cells(i)).rstrip() for i in range(emulator.history_size)]
    return (model.screen_lines(), history, emulator.cursor, model.scanner.state())


@fuzz(ci=150)
@given(data=st.data(), stream=streams, size=sizes)
def test_hostile_streams_leave_a_clean_screen_title_and_replies(
    data: st.DataObject, stream: bytes, size: tuple[int, int]
) -> None:
    model = TerminalModel(*size, scrollback=50, clipboard_limit=CLIPBOARD_LIMIT)
    for chunk in data.draw(chunked(stream)):
        with no_panic():
            if data.draw(st.integers(0, 9)) == 0:
                model.resize(*data.draw(sizes))
            result = model.feed(chunk)
        check_replies(result.replies, *model.emulator.size)
        check_title(model)
        for text in result.clipboard:
            assert len(text.encode()) <= CLIPBOARD_LIMIT
    check_screen(model)


@fuzz(ci=100)
@given(data=st.data(), stream=streams, size=sizes)
def test_how_a_stream_is_chunked_changes_nothing(
    data: st.DataObject, stream: bytes, size: tuple[int, int]
) -> None:
    whole = TerminalModel(*size, scrollback=50, clipboard_limit=CLIPBOARD_LIMIT)
    with no_panic():
        expected = whole.feed(stream)
    split = TerminalModel(*size, scrollback=50, clipboard_limit=CLIPBOARD_LIMIT)
    replies, clipboard, bell = b"", list[str](), False
    for chunk in data.draw(chunked(stream)):
        with no_panic():
            result = split.feed(chunk)
        replies += result.replies
        clipboard += result.clipboard
        bell |= result.bell
    assert (replies, clipboard, bell) == (expected.replies, expected.clipboard, expected.bell)
    assert state(split) == state(whole)
