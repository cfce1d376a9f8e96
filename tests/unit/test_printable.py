"""Untrusted text shown in messages: one line, no raw control characters."""

from __future__ import annotations

from tui.core.printable import printable


def test_controls_are_escaped_and_breaks_become_spaces() -> None:
    assert printable("a\r\nb\tc\x1b[31m\x9b\x00\x7f") == "a b c\\x1b[31m\\x9b\\x00\\x7f"
    assert printable("abc\u202edef\u2066") == "abc\\u202edef\\u2066"
    assert printable("日本語 ✓") == "日本語 ✓"


def test_the_limit_marks_the_cut() -> None:
    assert printable("x" * 10, 5) == "xx..."
    assert printable("short", 5) == "short"
