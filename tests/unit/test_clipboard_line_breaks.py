"""A paste counts CR, LF and CRLF alike as line breaks before deciding to confirm it."""

from __future__ import annotations

import pytest

from tui.core.clipboard.bridge import line_count, needs_confirm, sanitize


def test_cr_only_paste_is_confirmed_in_a_shell_without_bracketed_paste() -> None:
    text = sanitize("echo one\recho two\rrm -rf /tmp/x\r")
    assert needs_confirm(text, bracketed=False) == (
        "3 lines into a shell that did not ask for bracketed paste"
    )


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("one", 1),
        ("one\n", 1),
        ("one\r", 1),
        ("one\r\n", 1),
        ("a\r\nb\r\n", 2),
        ("a\rb\nc\r\nd", 4),
        ("a\n\rb", 3),
        ("a\r\r\n", 1),
        ("a\n\n", 1),
        ("a\r\rb", 3),
        ("", 1),
    ],
)
def test_line_count_cr_lf_crlf_one_break_each_trailing_free(text: str, lines: int) -> None:
    assert line_count(text) == lines


def test_a_single_line_with_a_trailing_cr_is_not_confirmed() -> None:
    assert needs_confirm("ls -l\r", bracketed=False) is None
    assert needs_confirm("a\rb", bracketed=True) is None
