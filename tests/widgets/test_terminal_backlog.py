"""The plain-text backlog fast path: same screen and scrollback as feeding every line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from widgets.terminal.backlog import BacklogSplitter, split_backlog
from widgets.terminal.emulator import AvtEmulator


class ReferenceEmulator(AvtEmulator):
    """Feeds everything through avt (no fast path)."""

    def feed(self, text: str) -> None:
        if text:
            self._feed(text)


class CountingEmulator(AvtEmulator):
    """Counts the chunks that took the fast path."""

    fast = 0

    def _drew_plainly(self, lines: list[str], scrolled_all: bool, rest: list[str]) -> bool:
        plain = super()._drew_plainly(lines, scrolled_all, rest)
        self.fast += plain
        return plain


def snapshot(emulator: AvtEmulator) -> tuple[object, ...]:
    """Everything the view can read from an emulator."""
    total = emulator.history_size + emulator.size[1]
    return (
        emulator.history_total,
        emulator.history_size,
        emulator.cursor,
        emulator.cursor_visible,
        [emulator.line_runs(i) for i in range(total)],
        ["".join(emulator.line_cells(i)).rstrip() for i in range(total)],
    )


def feed_both(chunks: list[str], cols: int, rows: int, scrollback: int = 500) -> CountingEmulator:
    fast = CountingEmulator(cols, rows, scrollback=scrollback)
    slow = ReferenceEmulator(cols, rows, scrollback=scrollback)
    for chunk in chunks:
        fast.feed(chunk)
        slow.feed(chunk)
        assert snapshot(fast) == snapshot(slow)
    return fast


def numbered(count: int, start: int = 0, width: int = 30) -> str:
    return "".join(f"line {n:06d} ".ljust(width, "x") + "\r\n" for n in range(start, start + count))


# -- split_backlog ---------------------------------------------------------------------------


def test_split_cuts_after_the_first_and_last_crlf() -> None:
    text = "partial\r\n" + "".join(f"l{n}\r\n" for n in range(10)) + "rest"
    backlog = split_backlog(text, cols=80, min_run=5)
    assert backlog is not None
    assert backlog.head == "partial\r\n"
    assert backlog.lines == [f"l{n}" for n in range(10)]
    assert backlog.special == []
    assert backlog.tail == "rest"


def test_split_marks_the_lines_that_need_the_parser() -> None:
    lines = "".join(f"line {n}\r\n" for n in range(50))
    for odd in ("\t", "bare\nlf", "bare\rcr", "\x07", "é", "\x7f", "y" * 81, "\x0e"):
        backlog = split_backlog("x\r\n" + lines + odd + "\r\n" + lines, cols=80, min_run=10)
        assert backlog is not None, repr(odd)
        assert backlog.special == [50], repr(odd)
        assert backlog.lines[50] == odd


def test_split_refuses_escapes_and_short_runs() -> None:
    lines = "".join(f"line {n}\r\n" for n in range(50))
    assert split_backlog("x\r\n" + lines + "\x1b[1m\r\n", cols=80, min_run=10) is None
    assert split_backlog("x\r\n" + lines, cols=80, min_run=60) is None
    every_other = "".join(f"{n}\t\r\n{n}\r\n" for n in range(50))
    assert split_backlog("x\r\n" + every_other, cols=80, min_run=10) is None
    assert split_backlog("no line ends at all", cols=80, min_run=1) is None


def test_a_costly_miss_pauses_the_line_by_line_look() -> None:
    splitter = BacklogSplitter(pause=2, max_pause=4)
    plain = "x\r\n" + "".join(f"line {n}\r\n" for n in range(50))
    mixed = "x\r\n" + "".join(f"{n}\t\r\n{n}\r\n" for n in range(50))
    verdicts = [splitter.split(text, 80, 10) is not None for text in [mixed, plain, plain, plain]]
    assert verdicts == [False, False, False, True]
    assert splitter.split("\x1b[1m" + plain, 80, 10) is None  # a cheap miss: no pause
    assert splitter.split(plain, 80, 10) is not None
    # misses in a row: paused for 2, then 4 (the most), and back to 2 after a success
    stream = [mixed, mixed, mixed, mixed, plain, plain, plain, plain, plain]
    assert [splitter.split(text, 80, 10) is not None for text in stream] == [
        *(False, False, False),  # a miss, paused twice
        *(False, False, False, False, False),  # a miss, paused four times
        True,
    ]
    assert [splitter.split(text, 80, 10) is not None for text in [mixed, plain, plain, plain]] == [
        False,
        False,
        False,
        True,
    ]


# -- equivalence with feeding every line -----------------------------------------------------


def test_plain_flood_takes_the_fast_path_and_matches() -> None:
    chunks = ["$ cat big.log\r\n"] + [numbered(400, start=400 * n) for n in range(5)]
    emulator = feed_both(chunks, cols=40, rows=10)
    assert emulator.fast == 5
    assert emulator.history_total == 2001 - 9
    assert emulator.line_cells(emulator.history_size - 1)[:11] == list("line 001990")


def test_scrollback_limit_is_kept_by_the_fast_path() -> None:
    emulator = feed_both(["go\r\n", numbered(3000)], cols=40, rows=8, scrollback=100)
    assert emulator.fast == 1
    assert emulator.history_size == 100


def test_cursor_mid_screen_and_text_before_and_after() -> None:
    chunks = ["\x1b[2J\x1b[5;3Hprompt", "> go\r\n" + numbered(100) + "$ half a li", "ne\r\n"]
    assert feed_both(chunks, cols=40, rows=12).fast == 1


def test_special_lines_are_fed_where_they_stand_between_fast_runs() -> None:
    odd = ["\tindented", "naïve café 界", "w" * 95, "bell\x07", "over\rwrite"]
    chunk = "go\r\n" + "".join(numbered(60, start=60 * n) + odd[n] + "\r\n" for n in range(5))
    emulator = feed_both([chunk + numbered(60, start=300)], cols=40, rows=10)
    assert emulator.fast == 6
    text = ["".join(emulator.line_cells(i)).rstrip() for i in range(emulator.history_size)]
    assert "        indented" in text and "naïve café 界" in text and "write" in text
    assert ("w" * 40) in text  # the long line wrapped over three rows


def test_shift_out_to_a_drawing_set_is_caught() -> None:
    chunk = "go\r\n" + numbered(60) + "\x0e\r\n" + numbered(60, start=60)
    emulator = feed_both(["\x1b)0", chunk], cols=40, rows=10)
    assert emulator.fast == 1


def test_underscore_does_not_prove_the_ascii_set() -> None:
    """In avt's line-drawing set `_` stays itself while letters change."""
    chunks = ["\x1b(0", "go\r\n_\r\n_\r\n" + "abc\r\n" * 8 + "Z\r\nZ\r\n"]
    assert feed_both(chunks, cols=10, rows=2).fast == 0


def test_a_sequence_left_open_before_blank_lines_is_not_skipped() -> None:
    """CR and LF run inside an unfinished sequence; the first printed line ends it."""
    for chunks in (
        ["\x9b\r\n\r\n\r\n5CHELLO\r\n" + "Z\r\n" * 8],
        ["\x1b", "\r\n\r\n\r\n#8\r\n" + "Z\r\n" * 8],
        ["\x1b[", "\r\n\r\n\r\n5CHELLO\r\n" + "Z\r\n" * 8],
    ):
        feed_both(chunks, cols=10, rows=2)


def test_states_that_change_plain_text_fall_back() -> None:
    """A pen, a charset, the alternate screen or a scroll region set before the flood."""
    for setup in ("\x1b[1;31m", "\x1b(0", "\x1b[?1049h", "\x1b[3;8r", "\x1b[44m\x1b[2J"):
        emulator = feed_both([setup + "x\r\n", numbered(200)], cols=40, rows=10)
        assert emulator.fast == 0, repr(setup)


def test_line_drawing_charset_is_caught_even_when_the_first_lines_do_not_show_it() -> None:
    first = "".join(f"LINE {n}\r\n" for n in range(10))
    emulator = feed_both(["\x1b(0x\r\n", first + numbered(50)], cols=40, rows=4)
    assert emulator.fast == 0
    assert "".join(emulator.line_cells(emulator.history_size + 1)).startswith("┌")  # "l" drawn


_PIECES = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\t",
        "\x1b[1m",
        "\x1b[0m",
        "\x1b[44m",
        "\x1b(0",
        "\x1b(B",
        "\x1b)0",
        "\x0e",
        "\x0f",
        "\x9b",
        "\x1b",
        "\x1b[",
        "\x1b]0;t",
        "_",
        "\x1b[?1049h",
        "\x1b[?1049l",
        "\x1b[2;5r",
        "\x1b[r",
        "\x1b[H",
        "\x1b[4h",
        "\x1b[4l",
        "\x1b[?7l",
        "\x1b[?7h",
        "\x1b[?6h",
        "\x1b[?6l",
        "\x1b[2J",
        "\x1b[3;1H",
        "\x1bM",
        "é",
        "界",
    ]
)


@st.composite
def streams(draw: st.DrawFn) -> list[str]:
    """Chunks of control sequences and text, and chunks of plain lines of any length."""
    chunks: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        parts = [draw(st.text(st.sampled_from("ab q"), max_size=5))]
        if draw(st.booleans()):
            count = draw(st.integers(0, 40))
            widths = draw(st.lists(st.integers(0, 9), min_size=count, max_size=count))
            parts.extend(("q" if w % 3 else "a") * w + "\r\n" for w in widths)
            for _ in range(draw(st.integers(0, 2))):
                odd = draw(st.sampled_from(["\t", "é", "界", "x" * 20, "\n", "\r", "\x0e", "\x0f"]))
                parts.insert(draw(st.integers(1, len(parts))), odd + "\r\n")
        else:
            for _ in range(draw(st.integers(1, 3))):
                parts.append(draw(_PIECES))
                parts.append(draw(st.text(st.sampled_from("ab q_~ x"), max_size=12)))
        parts.append(draw(st.text(st.sampled_from("ab q"), max_size=5)))
        chunks.append("".join(parts))
    return chunks


@settings(max_examples=400, deadline=None)
@given(streams(), st.integers(2, 8), st.integers(6, 14))
def test_any_stream_matches_feeding_every_line(chunks: list[str], rows: int, cols: int) -> None:
    feed_both(chunks, cols=cols, rows=rows, scrollback=40)
