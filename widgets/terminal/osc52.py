"""Strict decoding of OSC 52 clipboard writes (`ESC ] 52 ; Pc ; Pd BEL`).

A remote program may write the local clipboard, so only a well-formed write is accepted:
`Pd` must be standard base64 (RFC 4648 alphabet, correct `=` padding, no whitespace or other
bytes) and decode to valid UTF-8 text of at most `limit` bytes. Anything else is dropped whole,
leaving the clipboard untouched: a lenient decoder would turn `!!!!****` into an empty write.
`Pd` = `?` is a query (read the clipboard); it is never answered, and `Pd` empty (clear) is
ignored too.
"""

from __future__ import annotations

import base64
import binascii

QUERY = b"?"


def decode_clipboard_write(payload: bytes, limit: int) -> str | None:
    """The text an OSC 52 `Pd` writes, or None when it must be ignored.

    Args:
        payload: `Pd`, the bytes after the selection parameter's `;`.
        limit: Largest decoded size accepted, in bytes.
    """
    if payload in (b"", QUERY) or len(payload) > (limit + 2) // 3 * 4:
        return None
    try:
        raw = base64.b64decode(payload, validate=True)
        return raw.decode("utf-8") if len(raw) <= limit else None
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
