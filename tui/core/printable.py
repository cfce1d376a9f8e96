"""Text from the network or from files, made safe to show in one line of a message."""

from __future__ import annotations

import re

_BLANKS = re.compile(r"[\t\n\r\v\f]+")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0, DEL, C1) and bidirectional overrides, which could restyle or
reorder what a terminal shows."""


def printable(text: str, limit: int | None = None) -> str:
    """`text` on one line: line breaks and tabs become spaces, other controls `\\xNN` escapes.

    Args:
        text: Untrusted text (an HTTP error body, a header, a file name).
        limit: Cut the result to this many characters, marking the cut with "...".
    """
    shown = _UNSAFE.sub(_escape, _BLANKS.sub(" ", text))
    if limit is not None and len(shown) > limit:
        return shown[: max(0, limit - 3)] + "..."
    return shown


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
