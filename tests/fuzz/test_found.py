"""Bugs the fuzz suite found, each pinned by its smallest example."""

from __future__ import annotations

from widgets.terminal.model import TerminalModel


def test_a_wide_character_survives_a_resize_to_one_column() -> None:
    """pyavt panicked (a BaseException, past every `except Exception`) when a screen holding a
    wide character was resized to one column: the emulator keeps at least two."""
    model = TerminalModel(2, 1)
    model.feed("漢".encode())
    model.resize(1, 1)
    model.feed("字\r\n".encode())
    assert model.emulator.size[0] >= 2
    model.resize(3, 2)
    assert model.emulator.size == (3, 2)


def test_del_is_ignored_as_a_terminal_does() -> None:
    """pyavt drew DEL (0x7f) as a character: the screen showed a control character and the
    cells after it were one column off in the painted row."""
    model = TerminalModel(10, 2)
    model.feed(b"a\x7fb\x1b[1\x7f;3Hc\x1b]0;t\x7fitle\x07")
    assert model.screen_lines() == ["abc", ""]
    assert model.scanner.title == "title"
