"""OSC 52 writes are decoded strictly; invalid ones and queries never touch the clipboard."""

from __future__ import annotations

import base64

import pytest

from widgets.terminal.model import TerminalModel
from widgets.terminal.osc52 import decode_clipboard_write
from widgets.terminal.scanner import ClipboardSet, ModeScanner

INVALID = [
    b"!!!!****",  # no base64 at all: a lenient decoder yields b"" and empties the clipboard
    b"aGk",  # missing padding
    b"aGk===",  # excess padding
    b"aG=k",  # padding in the middle
    b"aGk=aGk=",  # data after the padding
    b"aGVs bG8=",  # whitespace
    b"aGVs\nbG8=",  # a newline
    b"aGVs-bG8=",  # URL-safe alphabet
    base64.b64encode(b"\xff\xfe binary"),  # not UTF-8
    base64.b64encode(b"caf\xc3"),  # UTF-8 cut in the middle of a character
    b"?",  # a query
    b"",  # clear
]


@pytest.mark.parametrize("payload", INVALID)
def test_invalid_osc52_writes_produce_no_clipboard_event(payload: bytes) -> None:
    events = ModeScanner().feed(b"\x1b]52;c;" + payload + b"\x07")
    assert [e for e in events if isinstance(e, ClipboardSet)] == []
    assert decode_clipboard_write(payload, 1 << 20) is None


def test_valid_writes_around_an_invalid_one_still_arrive() -> None:
    good = base64.b64encode("caf\u00e9 \u2603".encode())
    data = b"\x1b]52;c;" + good + b"\x07\x1b]52;c;!!!!****\x1b\\\x1b]52;p;" + good + b"\x07"
    texts = [e.text for e in ModeScanner().feed(data) if isinstance(e, ClipboardSet)]
    assert texts == ["caf\u00e9 \u2603", "caf\u00e9 \u2603"]


def test_the_size_cap_is_on_the_decoded_text() -> None:
    assert decode_clipboard_write(base64.b64encode(b"x" * 10), 10) == "x" * 10
    assert decode_clipboard_write(base64.b64encode(b"x" * 11), 10) is None


def test_a_clipboard_query_is_never_answered() -> None:
    model = TerminalModel(20, 5)
    model.feed(b"\x1b]52;c;" + base64.b64encode(b"secret") + b"\x07")
    for query in (b"\x1b]52;c;?\x07", b"\x1b]52;;?\x1b\\", b"\x1b]52;p;?\x07"):
        result = model.feed(query)
        assert (result.replies, result.clipboard) == (b"", [])
