"""`inert`: control, format and separator characters shown as escapes; errors carry inert text."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from tui.core.errors import ClusterdeckError, HostKeyUnknown, ProviderAuthError, as_user_error
from tui.core.printable import UNSAFE, inert, inert_lines

MADE_VISIBLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}

DANGEROUS = [
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    *"\u2028\u2029\u200b\u200d\ufeff\xad\ud800\udfff",
    "\U000e0041",  # a tag character (invisible "ASCII smuggling")
]


def visible(char: str) -> str:
    """The expected form, by another route than `repr`: Python's unicode_escape codec."""
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


def test_the_issue_s_payloads_become_visible() -> None:
    assert inert("title\x1b]0;pwned\x07X") == r"title\x1b]0;pwned\x07X"
    assert inert("clear\x1b[2Jscreen") == r"clear\x1b[2Jscreen"
    assert inert("c1 \u009b \u0090") == r"c1 \x9b \x90"
    assert inert("abc\u202edef\u2028\u2029") == r"abc\u202edef\u2028\u2029"
    assert inert("tab\tcr\rlf\n") == r"tab\tcr\rlf\n"


def test_clean_text_is_returned_as_it_is() -> None:
    for text in ("", "cfd-wing", "ünïcødé 中文 🚀", "C:\\path\\x1b", "a b\u00a0c"):
        assert inert(text) is text
        assert inert_lines(text) is text


def test_inert_lines_keeps_line_breaks_only() -> None:
    assert inert_lines("one\r\ntwo\nthree\r\x1b[2J") == "one\ntwo\nthree" + r"\r\x1b[2J"
    assert inert_lines("a\u2028b\x0bc\x85d") == r"a\u2028b\x0bc\x85d"


def test_the_table_covers_every_control_format_and_separator_code_point() -> None:
    missed = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in MADE_VISIBLE and UNSAFE.match(chr(cp)) is None
    ]
    assert missed == []
    extra = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if UNSAFE.match(chr(cp)) and unicodedata.category(chr(cp)) not in MADE_VISIBLE | {"Cn"}
    ]
    assert extra == []  # only unassigned code points beyond the categories (newer Unicode)


@given(st.lists(st.one_of(st.sampled_from(DANGEROUS), st.characters(exclude_categories=["Cn"]))))
def test_inert_output_has_no_dangerous_code_point_and_reads_in_order(chars: list[str]) -> None:
    text = "".join(chars)
    out = inert(text)
    assert not any(unicodedata.category(c) in MADE_VISIBLE for c in out)
    expected = "".join(visible(c) if unicodedata.category(c) in MADE_VISIBLE else c for c in text)
    assert out == expected


@given(st.text(st.sampled_from([*DANGEROUS, "a", "é", " "])))
def test_inert_lines_is_inert_per_line(text: str) -> None:
    out = inert_lines(text)
    assert out.split("\n") == [inert(line) for line in text.replace("\r\n", "\n").split("\n")]


def test_errors_carry_inert_text_and_keep_identifiers() -> None:
    body = "<html>Forbidden \x1b]0;pwnerr\x07\x1b[2J</html>"
    exc = ProviderAuthError(f"Rescale said 403:\n{body}", title="403 \u202eForbidden")
    assert exc.message == "Rescale said 403:\n" + r"<html>Forbidden \x1b]0;pwnerr\x07\x1b[2J</html>"
    assert str(exc) == exc.message and exc.args == (exc.message,)
    assert exc.title == r"403 \u202eForbidden"
    exc.message = f"stopping t\x1b]0;x\x07 failed: {exc.message}"  # as handlers rewrite it
    assert "\x1b" not in exc.message and exc.message.startswith(r"stopping t\x1b]0;x\x07 failed")
    wrapped = as_user_error(RuntimeError("boom\x1b[2J"))
    assert wrapped.message == r"boom\x1b[2J (RuntimeError)"
    unknown = HostKeyUnknown(
        "host h\x1b key unknown",
        host="h\x1b",
        port=22,
        key_type="ssh-ed25519",
        fingerprint="SHA256:x",
        public_key="ssh-ed25519 AAAA",
    )
    assert unknown.host == "h\x1b" and unknown.message == r"host h\x1b key unknown"
    assert ClusterdeckError("plain").title == "clusterdeck error"
