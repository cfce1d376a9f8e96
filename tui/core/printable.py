"""Untrusted text made safe to show: its control and format characters become visible escapes.

The one character table and visible form (the core's and the app's). It lives in the lowest layer
of the core with no imports but `re`, so the core's own data gate can use it: `ClusterdeckError`
makes every error title and message inert, and `printable` shapes network text for one-line
messages. The widgets may not import `tui` and the core may not import the widgets, so the UI has
no second copy: the app applies `inert` where it builds what it shows (notifications, table rows,
titles), and its render gate (`tui.app.render_guard`, the layer that sees both Textual and the
core) applies it to whatever still reaches `Strip.render` with such a character.

Made visible: every Unicode Cc (C0 with TAB, CR and LF, DEL, C1), Cf (bidi embeddings, overrides
and isolates, LRM/RLM/ALM, zero-width characters, BOM, tag characters...), Cs (lone surrogates),
Zl and Zp (U+2028, U+2029) character. The visible form is the character as Python's `repr()`
writes it: ESC -> `\\x1b`, TAB -> `\\t`, U+202E -> `\\u202e`. Clean text is returned as it is
after one regex scan.
"""

from __future__ import annotations

import re

_ALL_BUT_NEWLINE = (
    r"\x00-\x09\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f"
)
UNSAFE = re.compile(f"[\\n{_ALL_BUT_NEWLINE}]")
"""Matches any character `inert` rewrites (a superset of Cc, Cf, Cs, Zl, Zp of Unicode 15.1)."""
_UNSAFE_IN_LINES = re.compile(f"[{_ALL_BUT_NEWLINE}]")
_BMP, _, _ = _ALL_BUT_NEWLINE.partition(r"\U")
_ROUGH = re.compile(f"[\\n{_BMP}\\U000110bd-\\U000e007f]")
"""UNSAFE with its astral ranges merged into one (matching emoji too): the fast first scan."""

_forms: dict[str, str] = {}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    form = _forms.get(char)
    if form is None:
        form = _forms[char] = repr(char)[1:-1]
    return form


def needs_inert(text: str) -> bool:
    """True when `inert` would change `text` (clean text costs one fast regex scan)."""
    return _ROUGH.search(text) is not None and UNSAFE.search(text) is not None


def inert(text: str) -> str:
    """`text` for one line: every control, format and separator character shown as an escape."""
    if _ROUGH.search(text) is None:
        return text
    return UNSAFE.sub(_visible, text)


def inert_lines(text: str) -> str:
    """`text` for several lines: like `inert`, but LF (and CR LF, as LF) stays a line break."""
    if _ROUGH.search(text) is None or _UNSAFE_IN_LINES.search(text) is None:
        return text
    return _UNSAFE_IN_LINES.sub(_visible, text.replace("\r\n", "\n"))


_BLANKS = re.compile(r"[\t\n\r\v\f]+")


def printable(text: str, limit: int | None = None) -> str:
    """`text` on one line: line breaks and tabs become spaces, the rest `inert`.

    Args:
        text: Untrusted text (an HTTP error body, a header, a file name).
        limit: Cut the result to this many characters, marking the cut with "...".
    """
    shown = inert(_BLANKS.sub(" ", text))
    if limit is not None and len(shown) > limit:
        return shown[: max(0, limit - 3)] + "..."
    return shown
