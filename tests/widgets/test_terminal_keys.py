"""Input encoding for TerminalView: keys, pastes and mouse reports (no app needed)."""

from __future__ import annotations

import pytest

from widgets.terminal import keyboard
from widgets.terminal.keyboard import (
    NO_BUTTON,
    WHEEL_UP,
    encode_key,
    encode_mouse,
    encode_paste,
    sanitize_paste,
)

KEYS: list[tuple[str, str | None, bytes]] = [
    ("a", "a", b"a"),
    ("A", "A", b"A"),
    ("shift+a", None, b"A"),
    ("space", " ", b" "),
    ("exclamation_mark", "!", b"!"),
    ("question_mark", None, b"?"),
    ("eacute", "\u00e9", "\u00e9".encode()),
    ("enter", "\r", b"\r"),
    ("tab", "\t", b"\t"),
    ("shift+tab", None, b"\x1b[Z"),
    ("backspace", "\x7f", b"\x7f"),
    ("ctrl+backspace", None, b"\x08"),
    ("escape", "\x1b", b"\x1b"),
    ("delete", None, b"\x1b[3~"),
    ("insert", None, b"\x1b[2~"),
    ("pageup", None, b"\x1b[5~"),
    ("pagedown", None, b"\x1b[6~"),
    ("home", None, b"\x1b[H"),
    ("end", None, b"\x1b[F"),
    ("f1", None, b"\x1bOP"),
    ("f4", None, b"\x1bOS"),
    ("f5", None, b"\x1b[15~"),
    ("f10", None, b"\x1b[21~"),
    ("f12", None, b"\x1b[24~"),
    ("f13", None, b"\x1b[1;2P"),
    ("shift+f5", None, b"\x1b[15;2~"),
    ("ctrl+f1", None, b"\x1b[1;5P"),
    ("ctrl+a", "\x01", b"\x01"),
    ("ctrl+c", "\x03", b"\x03"),
    ("ctrl+z", None, b"\x1a"),
    ("ctrl+shift+a", None, b"\x01"),
    ("ctrl+@", "\x00", b"\x00"),
    ("ctrl+space", None, b"\x00"),
    ("ctrl+backslash", None, b"\x1c"),
    ("ctrl+right_square_bracket", None, b"\x1d"),
    ("ctrl+underscore", None, b"\x1f"),
    ("alt+x", "x", b"\x1bx"),
    ("alt+shift+x", None, b"\x1bX"),
    ("alt+enter", None, b"\x1b\r"),
    ("alt+backspace", None, b"\x1b\x7f"),
    ("ctrl+alt+d", None, b"\x1b\x04"),
    ("shift+up", None, b"\x1b[1;2A"),
    ("ctrl+left", None, b"\x1b[1;5D"),
    ("alt+right", None, b"\x1b[1;3C"),
    ("ctrl+shift+end", None, b"\x1b[1;6F"),
    ("ctrl+delete", None, b"\x1b[3;5~"),
    ("+", "+", b"+"),
]


@pytest.mark.parametrize(("key", "character", "expected"), KEYS, ids=[k for k, *_ in KEYS])
def test_key_encoding_table(key: str, character: str | None, expected: bytes) -> None:
    assert encode_key(key, character) == expected


@pytest.mark.parametrize(
    ("key", "normal", "application"),
    [
        ("up", b"\x1b[A", b"\x1bOA"),
        ("down", b"\x1b[B", b"\x1bOB"),
        ("right", b"\x1b[C", b"\x1bOC"),
        ("left", b"\x1b[D", b"\x1bOD"),
        ("home", b"\x1b[H", b"\x1bOH"),
        ("end", b"\x1b[F", b"\x1bOF"),
        ("ctrl+up", b"\x1b[1;5A", b"\x1b[1;5A"),  # modified keys ignore DECCKM, as in xterm
    ],
)
def test_cursor_keys_follow_decckm(key: str, normal: bytes, application: bytes) -> None:
    assert encode_key(key, None, application_cursor=False) == normal
    assert encode_key(key, None, application_cursor=True) == application


@pytest.mark.parametrize("key", ["super+a", "hyper+x", "ctrl+unknown_key_name", "<ignore>"])
def test_keys_without_an_encoding_are_left_to_the_app(key: str) -> None:
    assert encode_key(key, None) is None


def test_bracketed_paste_is_framed_and_cannot_break_out() -> None:
    data = encode_paste("a\x1b[201~b\nc\x00\x9b", bracketed=True)
    assert data == b"\x1b[200~a [201~b\nc  \x1b[201~"
    assert data.count(b"\x1b") == 2


def test_unbracketed_paste_turns_line_breaks_into_cr() -> None:
    assert encode_paste("ls\nwho\r\nid\n", bracketed=False) == b"ls\rwho\rid\r"
    assert encode_paste("\x1b[31mred\tx", bracketed=False) == b" [31mred\tx"


def test_sanitize_keeps_text_tabs_and_newlines() -> None:
    assert sanitize_paste("h\u00e9llo\t\u4e16\r\n\x07\x7f") == "h\u00e9llo\t\u4e16\r\n  "


def test_paste_rule_is_the_clipboard_bridges() -> None:
    """The widget and the core keep one rule (they may not import each other)."""
    from tui.core.clipboard.bridge import PASTE_UNSAFE

    every = "".join(map(chr, range(0x3000))) + "\U000e0001"
    assert sanitize_paste(every) == PASTE_UNSAFE.sub(" ", every)
    assert PASTE_UNSAFE.pattern == keyboard.PASTE_UNSAFE.pattern


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((0, 4, 2), {"action": "press", "sgr": True}, b"\x1b[<0;5;3M"),
        ((0, 4, 2), {"action": "release", "sgr": True}, b"\x1b[<0;5;3m"),
        ((2, 0, 0), {"action": "press", "sgr": True, "ctrl": True}, b"\x1b[<18;1;1M"),
        ((0, 9, 9), {"action": "motion", "sgr": True}, b"\x1b[<32;10;10M"),
        ((NO_BUTTON, 1, 1), {"action": "motion", "sgr": True}, b"\x1b[<35;2;2M"),
        ((WHEEL_UP, 0, 0), {"action": "press", "sgr": True, "shift": True}, b"\x1b[<68;1;1M"),
        ((0, 4, 2), {"action": "press", "sgr": False}, b"\x1b[M %#"),
        ((1, 4, 2), {"action": "release", "sgr": False}, b"\x1b[M#%#"),
        ((0, 300, 2), {"action": "press", "sgr": False}, None),
        ((0, 300, 2), {"action": "press", "sgr": True}, b"\x1b[<0;301;3M"),
    ],
)
def test_mouse_encoding(
    args: tuple[int, int, int], kwargs: dict[str, object], expected: bytes | None
) -> None:
    assert encode_mouse(*args, **kwargs) == expected  # type: ignore[arg-type]
