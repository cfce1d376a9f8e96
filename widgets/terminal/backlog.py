"""Plain-text backlog: find the lines of an output chunk the emulator does not need to parse.

When a remote prints far more plain lines than the screen holds (`cat` of a big file, a chatty
build), most of them scroll straight into the scrollback. Parsing each one cell by cell only to
read it back is where the time goes. `split_backlog` cuts such a chunk into a head and a tail
that are fed as usual and, between them, whole lines that are known to be printable ASCII ended
by CR LF: the emulator can file most of those as text without drawing them.
"""

from __future__ import annotations

from typing import NamedTuple

CRLF = "\r\n"


class Backlog(NamedTuple):
    """A chunk cut around its plain lines."""

    head: str
    """Everything up to and including the first CR LF (fed as usual)."""
    lines: list[str]
    """The plain lines after it, without their CR LF (each ended by one in the stream)."""
    tail: str
    """Everything after the last CR LF (fed as usual)."""


def split_backlog(text: str, cols: int, min_lines: int) -> Backlog | None:
    """Cut `text` around its plain lines, or `None` when it has no such run worth a fast path.

    The run qualifies when it has at least `min_lines` lines, every one printable ASCII (no
    escape, tab or other control character; CR and LF only as CR LF pairs) and at most `cols`
    characters long, so that none wraps whatever the wrap mode.
    """
    if len(text) < min_lines * 2 or "\x1b" in text or text.count("\n") <= min_lines:
        return None
    first = text.find(CRLF)
    last = text.rfind(CRLF)
    if first < 0 or last == first:
        return None
    body = text[first + 2 : last]
    if not body.isascii():
        return None
    lines = body.split(CRLF)
    if not "".join(lines).isprintable() or max(map(len, lines)) > cols:
        return None
    return Backlog(text[: first + 2], lines, text[last + 2 :])
