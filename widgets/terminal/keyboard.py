"""Input encoding for `TerminalView`: Textual keys, pastes and mouse events to xterm bytes."""

from __future__ import annotations

import re
from typing import Literal

from textual.keys import key_to_character

CSI = "\x1b["
SS3 = "\x1bO"
PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"

DEFAULT_PASSTHROUGH_KEYS = frozenset(
    {
        "ctrl+right_square_bracket",  # release focus (telnet's escape key)
        "ctrl+pageup",  # previous tab
        "ctrl+pagedown",  # next tab
        "ctrl+shift+w",  # close tab (terminals with the kitty keyboard protocol)
        "ctrl+shift+v",  # push the clipboard (else the outer terminal pastes: a Paste event)
    }
)
"""App chords the view never sends to the remote, so the app can bind them."""

_CURSOR_KEYS = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
_TILDE_KEYS = {
    "insert": 2,
    "delete": 3,
    "pageup": 5,
    "pagedown": 6,
    "f5": 15,
    "f6": 17,
    "f7": 18,
    "f8": 19,
    "f9": 20,
    "f10": 21,
    "f11": 23,
    "f12": 24,
}
_SS3_KEYS = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
# F13-F24 are xterm's shift+F1..F12.
_SHIFTED_F_KEYS = {f"f{n + 12}": f"f{n}" for n in range(1, 13)}
_CONTROL_SYMBOLS = {
    "@": "\x00",
    "at": "\x00",
    "space": "\x00",
    "2": "\x00",
    "left_square_bracket": "\x1b",
    "3": "\x1b",
    "backslash": "\x1c",
    "4": "\x1c",
    "right_square_bracket": "\x1d",
    "5": "\x1d",
    "circumflex_accent": "\x1e",
    "6": "\x1e",
    "underscore": "\x1f",
    "minus": "\x1f",
    "7": "\x1f",
    "slash": "\x1f",
    "question_mark": "\x7f",
    "8": "\x7f",
}
_MODIFIERS = frozenset({"shift", "alt", "meta", "ctrl"})
PASTE_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What a paste must not carry: C0 (but tab, CR, LF), DEL, C1 and bidi overrides/isolates.
Each becomes a space, bracketed or not, so a paste cannot end its bracket (`ESC [201~`) or
send ^C/^U/^W to the line discipline. The same rule as `tui.core.clipboard.bridge`."""


def _modifier_param(shift: bool, alt: bool, ctrl: bool) -> int:
    """xterm's modifier parameter: 1 + shift(1) + alt(2) + ctrl(4)."""
    return 1 + shift + 2 * alt + 4 * ctrl


def encode_key(
    key: str, character: str | None, *, application_cursor: bool = False
) -> bytes | None:
    """Encode a Textual key for the remote, as xterm would.

    Args:
        key: The Textual key name, e.g. `"ctrl+a"`, `"shift+tab"`, `"alt+left"`, `"f5"`.
        character: The event's character, if any.
        application_cursor: DECCKM is on (plain arrows and home/end send `SS3 X`).

    Returns:
        The bytes to send, or `None` when the key has no encoding (it is then left to the app).
    """
    if key == "+":  # the only key name that contains "+" as its base
        return b"+"
    *mods, base = key.split("+")
    if not base or any(mod not in _MODIFIERS for mod in mods):
        return None  # super/hyper chords belong to the app
    shift = "shift" in mods
    alt = "alt" in mods or "meta" in mods
    ctrl = "ctrl" in mods
    if base in _SHIFTED_F_KEYS:
        base, shift = _SHIFTED_F_KEYS[base], True
    param = _modifier_param(shift, alt, ctrl)
    if base in _CURSOR_KEYS:
        final = _CURSOR_KEYS[base]
        if param > 1:
            return f"{CSI}1;{param}{final}".encode()
        return f"{SS3 if application_cursor else CSI}{final}".encode()
    if base in _TILDE_KEYS:
        code = _TILDE_KEYS[base]
        return f"{CSI}{code};{param}~".encode() if param > 1 else f"{CSI}{code}~".encode()
    if base in _SS3_KEYS:
        final = _SS3_KEYS[base]
        return f"{CSI}1;{param}{final}".encode() if param > 1 else f"{SS3}{final}".encode()
    text = _plain_key(base, character, shift=shift, ctrl=ctrl)
    if text is None:
        return None
    return (("\x1b" if alt else "") + text).encode("utf-8", "surrogatepass")


def _plain_key(base: str, character: str | None, *, shift: bool, ctrl: bool) -> str | None:
    """The text for a key that is not a cursor/function key (without the alt prefix)."""
    if base == "tab":
        return f"{CSI}Z" if shift else "\t"
    if base in ("enter", "return"):
        return "\r"
    if base == "backspace":
        return "\x08" if ctrl else "\x7f"
    if base == "escape":
        return "\x1b"
    if ctrl:
        if len(base) == 1 and base.isascii() and base.isalpha():
            return chr(ord(base.lower()) & 0x1F)
        return _CONTROL_SYMBOLS.get(base)
    if base == "space":
        return " "
    if character is not None and len(character) == 1 and character.isprintable():
        if shift and character.isalpha():
            return character.upper()
        return character
    char = base if len(base) == 1 else key_to_character(base)
    if char is None or not char.isprintable():
        return None
    return char.upper() if shift else char


def sanitize_paste(text: str) -> str:
    """Replace the characters a paste must not carry with spaces (tab, CR and LF stay)."""
    return PASTE_UNSAFE.sub(" ", text)


def encode_paste(text: str, *, bracketed: bool) -> bytes:
    """Encode pasted text: framed when the remote asked for bracketed paste.

    Unsafe characters become spaces first, so the text cannot close the bracket early.
    Unbracketed, line breaks become CR, as a typed Enter would be.
    """
    clean = sanitize_paste(text)
    if bracketed:
        return PASTE_START + clean.encode("utf-8", "replace") + PASTE_END
    clean = clean.replace("\r\n", "\r").replace("\n", "\r")
    return clean.encode("utf-8", "replace")


MouseAction = Literal["press", "release", "motion"]

WHEEL_UP = 64
WHEEL_DOWN = 65
NO_BUTTON = 3


def mouse_button_code(textual_button: int) -> int:
    """Textual's button (1 left, 2 middle, 3 right, 0 none) as an xterm button code."""
    return {1: 0, 2: 1, 3: 2}.get(textual_button, NO_BUTTON)


def encode_mouse(
    button: int,
    x: int,
    y: int,
    *,
    action: MouseAction,
    sgr: bool,
    shift: bool = False,
    meta: bool = False,
    ctrl: bool = False,
) -> bytes | None:
    """Encode a mouse report (SGR 1006 or the X10/normal byte form).

    Args:
        button: xterm button code: 0-2, `NO_BUTTON` for motion alone, `WHEEL_UP`/`WHEEL_DOWN`.
        x: 0-based column.
        y: 0-based row.
        action: Press, release or motion.
        sgr: Use the SGR encoding (`CSI < b ; x ; y M/m`).
        shift: Shift held.
        meta: Meta/alt held.
        ctrl: Ctrl held.

    Returns:
        The report, or `None` when the position cannot be encoded (X10 beyond column 223).
    """
    code = button + 4 * shift + 8 * meta + 16 * ctrl + (32 if action == "motion" else 0)
    if sgr:
        final = "m" if action == "release" else "M"
        return f"\x1b[<{code};{x + 1};{y + 1}{final}".encode()
    if action == "release":
        code = (code & ~0b11) | NO_BUTTON
    if x + 33 > 255 or y + 33 > 255 or x < 0 or y < 0:
        return None
    return b"\x1b[M" + bytes((32 + code, 33 + x, 33 + y))
