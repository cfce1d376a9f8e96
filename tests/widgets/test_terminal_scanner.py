"""The side scanner and the model (emulator + scanner), without Textual."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widgets.terminal.model import TerminalModel
from widgets.terminal.scanner import (
    PRIMARY_DA_REPLY,
    SECONDARY_DA_REPLY,
    ClipboardSet,
    CursorQuery,
    ModeScanner,
    Reply,
    ScanEvent,
    TitleSet,
)


def scan(data: bytes, scanner: ModeScanner | None = None) -> tuple[ModeScanner, list[ScanEvent]]:
    scanner = scanner or ModeScanner()
    return scanner, scanner.feed(data)


def test_dec_private_modes_are_tracked() -> None:
    scanner, _ = scan(b"\x1b[?2004h\x1b[?1;1002;1006h\x1b[?1049h\x1b[?1004h\x1b[?25l")
    assert scanner.bracketed_paste and scanner.application_cursor and scanner.mouse_sgr
    assert scanner.mouse_tracking == 1002
    assert scanner.alternate_screen and scanner.focus_events and not scanner.cursor_visible
    scan(b"\x1b[?2004l\x1b[?1000l\x1b[?1l\x1b[?1049l\x1b[?25h", scanner)
    assert not scanner.bracketed_paste and scanner.mouse_tracking == 0
    assert not scanner.application_cursor and not scanner.alternate_screen
    assert scanner.cursor_visible


def test_ris_resets_modes_but_keeps_the_title() -> None:
    scanner, _ = scan(b"\x1b]2;kept\x07\x1b[?2004h\x1b[?1003h\x1bc")
    assert (scanner.bracketed_paste, scanner.mouse_tracking, scanner.title) == (False, 0, "kept")


def test_sgr_and_other_sequences_are_ignored() -> None:
    scanner, events = scan(b"\x1b[31mred\x1b[0m \x1b[2004h \x1b[4h \x1b[?2004;x")
    assert events == [] and not scanner.bracketed_paste


@pytest.mark.parametrize("terminator", [b"\x07", b"\x1b\\"])
def test_titles(terminator: bytes) -> None:
    scanner, events = scan(b"\x1b]0;one\x07x\x1b]2;t\xc3\xa9st\x01" + terminator)
    assert [e.title for e in events if isinstance(e, TitleSet)] == ["one", "t\u00e9st"]
    assert scanner.title == "t\u00e9st"


def test_osc52_decodes_and_caps_the_size() -> None:
    payload = base64.b64encode("caf\u00e9 \u2603".encode())
    _, events = scan(b"\x1b]52;c;" + payload + b"\x07")
    assert events == [ClipboardSet(len(payload) + 8, "caf\u00e9 \u2603")]
    scanner = ModeScanner(clipboard_limit=100)
    ok = b"\x1b]52;c;" + base64.b64encode(b"x" * 100) + b"\x1b\\"
    too_big = b"\x1b]52;c;" + base64.b64encode(b"y" * 101) + b"\x1b\\"
    texts = [e.text for e in scanner.feed(ok + too_big + ok) if isinstance(e, ClipboardSet)]
    assert texts == ["x" * 100, "x" * 100]


def test_osc52_queries_and_garbage_are_ignored() -> None:
    _, events = scan(b"\x1b]52;c;?\x07\x1b]52;c;!!notbase64\x07\x1b]52;c;\x07")
    assert [e for e in events if isinstance(e, ClipboardSet)] == []


def test_huge_osc_split_across_reads_is_dropped_without_buffering_it_all() -> None:
    scanner = ModeScanner(clipboard_limit=1000)
    scanner.feed(b"\x1b]52;c;")
    for _ in range(100):
        assert scanner.feed(b"QUFB" * 1000) == []
    assert len(scanner._osc) == 0
    assert scanner.feed(b"\x07\x1b[?2004h") == []
    assert scanner.bracketed_paste


def test_queries_produce_replies() -> None:
    _, events = scan(b"\x1b[5n\x1b[c\x1b[0c\x1b[>c\x1b[6n\x1b[?6n\x1b[?2004$p\x1b[?9999$p")
    assert [e.data for e in events if isinstance(e, Reply)] == [
        b"\x1b[0n",
        PRIMARY_DA_REPLY,
        PRIMARY_DA_REPLY,
        SECONDARY_DA_REPLY,
        b"\x1b[?2004;2$y",
        b"\x1b[?9999;0$y",
    ]
    assert [e.private for e in events if isinstance(e, CursorQuery)] == [False, True]


def test_model_answers_cursor_position_at_the_query() -> None:
    model = TerminalModel(20, 5)
    result = model.feed(b"\x1b[3;5Hab\x1b[6ncd\x1b[6n")
    assert result.replies == b"\x1b[3;7R\x1b[3;9R"


def test_model_answers_queries_split_one_byte_per_read() -> None:
    model = TerminalModel(20, 5)
    replies = b"".join(model.feed(bytes([b])).replies for b in b"\x1b[2;3H\x1b[6n\x1b[c")
    assert replies == b"\x1b[2;3R" + PRIMARY_DA_REPLY


def test_model_survives_invalid_utf8_and_controls() -> None:
    model = TerminalModel(20, 3)
    model.feed(b"\xff\xfeok\xc3(\x00\x9b\x1b[999;999999H\x1b[?9999h\x1b]")
    assert model.screen_lines()[0].startswith("\ufffd\ufffdok\ufffd(")


FRAGMENTS = [
    b"\x1b[?2004h",
    b"\x1b[?2004l",
    b"\x1b[?1000;1006h",
    b"\x1b[?1003h",
    b"\x1b[?1l",
    b"\x1b[?1;1049h",
    b"\x1b[?25l",
    b"\x1b[6n",
    b"\x1b[?6n",
    b"\x1b[5n",
    b"\x1b[c",
    b"\x1b[>c",
    b"\x1b[?2004$p",
    b"\x1b[!p",
    b"\x1bc",
    b"\x1b]0;title\x07",
    b"\x1b]2;t\xc3\xa9\x1b\\",
    b"\x1b]52;c;aGVsbG8=\x07",
    b"\x1bP1$r\x1b[?2004h\x1b\\",
    b"\x1b[38;5;196m",
    b"text \xe4\xb8\xad",
    b"\x07",
    b"\x1b",
    b"[",
    b"?",
    b"h",
    b"1",
    b";",
    b"\x1b[?" + b"1" * 70 + b"h",
]


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=8), max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=20),
)
def test_any_split_gives_the_same_state_and_events(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    whole = ModeScanner(clipboard_limit=8)
    expected = [(type(e).__name__, e) for e in whole.feed(stream)]
    split = ModeScanner(clipboard_limit=8)
    got: list[tuple[str, ScanEvent]] = []
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    for start, end in itertools.pairwise(bounds):
        for event in split.feed(stream[start:end]):
            got.append((type(event).__name__, dataclasses.replace(event, end=event.end + start)))
    assert got == expected
    assert split.state() == whole.state()


_CANDIDATE = re.compile(rb"\x1b(?:\[(?:[?>]|!p|[56]n|0?c)|[\]PX^_c])|\x07")


class CandidateScanner(ModeScanner):
    """The scanner's first pass done the plain way: search for every prefix a token can have."""

    def _next_candidate(self, buf: bytes, pos: int) -> int:
        found = _CANDIDATE.search(buf, pos)
        return len(buf) if found is None else found.start()


MORE_FRAGMENTS = [
    *FRAGMENTS,
    b"\x1b[0c",
    b"\x1b[1c",
    b"\x1b[12n",
    b"\x1b[0 q",
    b"\x1b[m",
    b"\x1b[3;5H",
    b"\x1b[38:2::1:2:3m",
    b"\x1b(B",
    b"\x1b\x1b[?2004h",
    b"\x1b\x07",
    b"\x1b[\x1b[6n",
    b"\x1b]",
    b"\x1b\\",
]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(MORE_FRAGMENTS) | st.binary(max_size=6), max_size=40))
def test_skipping_finds_what_a_search_for_every_prefix_finds(parts: list[bytes]) -> None:
    stream = b"".join(parts)
    ours, plain = ModeScanner(clipboard_limit=8), CandidateScanner(clipboard_limit=8)
    assert ours.feed(stream) == plain.feed(stream)
    assert ours.state() == plain.state()
