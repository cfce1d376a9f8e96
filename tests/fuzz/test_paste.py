"""Fuzz what a paste into a shell goes through: `sanitize`, `needs_confirm` and the encoder.

Properties, for any text (controls, escape sequences, C1, every kind of line break):
- nothing of ESC, C0 (but tab, CR, LF), DEL or C1 survives `sanitize`, and it is idempotent;
- text with a line break (CR, LF or CRLF) before its last line needs confirmation when the
  shell did not ask for bracketed paste, whatever else it holds; one line never does;
- the bytes sent (`encode_paste`) hold no ESC but the bracket's own two sequences, so a paste
  can never end the bracket early or slip a sequence to the remote.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import fuzz
from tui.core.clipboard.bridge import CONFIRM_BYTES, needs_confirm, sanitize
from widgets.terminal.keyboard import PASTE_END, PASTE_START, encode_paste

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
BREAKS = ("\r", "\n", "\r\n", "\n\r", "\r\r\n")

pieces = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=10),
    st.sampled_from(BREAKS),
    st.sampled_from(
        [
            "\x1b[201~",  # the end of a bracketed paste
            "\x1b[200~",
            "\x9b201~",  # the same with an 8-bit CSI
            "\x1b]52;c;aGk=\x07",
            "\x1bP+q\x1b\\",
            "\x85",  # NEL
            "\u2028",
            "\x0b\x0c",
            "\x00",
            "rm -rf ~",
            "\t",
        ]
    ),
)
texts = st.lists(pieces, max_size=12).map("".join)
one_line = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=80)


@fuzz(ci=400)
@given(text=texts)
def test_sanitize_leaves_no_escape_or_control(text: str) -> None:
    clean = sanitize(text)
    assert not UNSAFE.search(clean), repr(clean)
    assert sanitize(clean) == clean
    assert len(clean) <= len(text)


@fuzz(ci=400)
@given(head=texts, brk=st.sampled_from(BREAKS), tail=one_line, trailing=st.sampled_from(BREAKS))
def test_a_line_break_before_the_last_line_needs_confirmation_unbracketed(
    head: str, brk: str, tail: str, trailing: str
) -> None:
    text = sanitize(head + brk + "x" + tail + trailing)
    assert needs_confirm(text, bracketed=False) is not None, repr(text)
    if len(text.encode("utf-8", "replace")) <= CONFIRM_BYTES:
        assert needs_confirm(text, bracketed=True) is None


@fuzz(ci=200)
@given(line=one_line, trailing=st.sampled_from(("", *BREAKS)))
def test_one_line_needs_no_confirmation(line: str, trailing: str) -> None:
    text = sanitize(line) + trailing
    assert needs_confirm(text, bracketed=False) is None, repr(text)


@fuzz(ci=400)
@given(text=texts, bracketed=st.booleans())
def test_the_bytes_sent_carry_no_escape_sequence(text: str, bracketed: bool) -> None:
    sent = encode_paste(sanitize(text), bracketed=bracketed)
    if bracketed:
        assert sent.startswith(PASTE_START) and sent.endswith(PASTE_END)
        sent = sent[len(PASTE_START) : -len(PASTE_END)]
    decoded = sent.decode("utf-8")
    assert not UNSAFE.search(decoded), repr(decoded)
    if not bracketed:
        assert "\n" not in decoded  # line breaks go as CR, as typed Enter would
