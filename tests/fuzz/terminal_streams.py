"""Hypothesis strategies for what a remote program may write to a terminal.

A stream is a list of tokens drawn from an alphabet of the sequences known to be dangerous or
hard (OSC 0/2 titles, OSC 52 with valid and invalid base64, DCS/APC/PM/SOS strings, CSI with huge
parameters, C1 controls raw and UTF-8 encoded, truncated and invalid UTF-8, DECSTBM, the
alternate screen, bracketed paste and mouse modes, CPR/DA/DECRQM queries) mixed with text.
Chunkings cut it anywhere, with a bias for cutting just after an ESC and inside UTF-8.
"""

from __future__ import annotations

import base64
import itertools

from hypothesis import strategies as st

ESC = b"\x1b"
TERMINATORS = (b"\x07", b"\x1b\\", b"\x9c", b"\xc2\x9c", b"", b"\x1b", b"\x18")
"""BEL, ST, raw and encoded C1 ST, none (left open), a bare ESC, CAN."""

MODES = (1, 3, 6, 7, 9, 25, 47, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 1047, 1048, 1049, 2004)
QUERIES = (
    b"\x1b[6n",
    b"\x1b[?6n",
    b"\x1b[5n",
    b"\x1b[c",
    b"\x1b[0c",
    b"\x1b[>c",
    b"\x1b[>0c",
    b"\x1b[>1c",
    b"\x1b[!p",
    b"\x1bc",
    b"\x1b[18t",
    b"\x1b[14t",
)
FINALS = b"@ABCDEFGHIJKLMPSTXZ`abcdefghlmnqrstu"
C0 = [bytes([b]) for b in (*range(0x20), 0x7F)]
C1_RAW = [bytes([b]) for b in range(0x80, 0xA0)]
C1_UTF8 = [chr(b).encode() for b in range(0x80, 0xA0)]
BAD_UTF8 = (
    b"\xc3",  # truncated 2-byte
    b"\xe2\x82",  # truncated 3-byte
    b"\xf0\x9f\x98",  # truncated 4-byte
    b"\xff",
    b"\xfe",
    b"\xc0\xaf",  # overlong
    b"\xed\xa0\x80",  # a surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\x80\x80",  # lone continuation bytes
)
SPECIAL_TEXT = (
    "wide: 漢字 \uff57\uff49\uff44\uff45",  # fullwidth "wide"
    "emoji 🎉👍🏽 flag 🇫🇷",
    "combining e\u0301 a\u0308\u0323",
    "bidi \u202e evil \u202c \u2066x\u2069",
    "zero-width \u200b\u200d\ufeff",
    "line\u2028sep\u2029para",
    "tab\there\tand\tthere",
    "\r\n",
    "\n\n\n",
    "`~qxa lmjk",  # DEC line drawing when G0 is switched
)

params = st.lists(
    st.one_of(
        st.integers(0, 9999).map(str),
        st.sampled_from(["", "0", "65535", "4294967296", "9" * 20, "1" * 80]),
    ),
    max_size=6,
).map(";".join)


@st.composite
def csi(draw: st.DrawFn) -> bytes:
    """A CSI sequence: maybe private, any parameters (huge ones too), maybe intermediates."""
    lead = draw(st.sampled_from(["", "?", ">", "<", "=", "!"]))
    inter = draw(st.sampled_from(["", "", "", "$", " ", '"', "'"]))
    final = draw(st.sampled_from(FINALS))
    return f"\x1b[{lead}{draw(params)}{inter}".encode() + bytes([final])


@st.composite
def mode(draw: st.DrawFn) -> bytes:
    """DECSET/DECRST or DECRQM of the modes the scanner tracks (and a few it does not)."""
    modes = draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=3))
    joined = ";".join(map(str, modes))
    kind = draw(st.sampled_from(["h", "l", "$p"]))
    return f"\x1b[?{joined}{kind}".encode()


@st.composite
def scroll_region(draw: st.DrawFn) -> bytes:
    top = draw(st.integers(0, 300))
    bottom = draw(st.integers(0, 300))
    return f"\x1b[{top};{bottom}r".encode()


nasty_bytes = st.binary(max_size=24) | st.sampled_from(
    [*C0, *C1_RAW, *C1_UTF8, *BAD_UTF8, ESC, b"\x1b]", b"\x1b[", b"\x1bP"]
)
"""What string contents (titles, payloads) are made of when they misbehave."""


@st.composite
def osc_title(draw: st.DrawFn) -> bytes:
    number = draw(st.sampled_from([b"0", b"2", b"1", b"00", b"2 "]))
    parts = draw(st.lists(st.text(max_size=12).map(str.encode) | nasty_bytes, max_size=5))
    return b"\x1b]" + number + b";" + b"".join(parts) + draw(st.sampled_from(TERMINATORS))


@st.composite
def osc52(draw: st.DrawFn) -> bytes:
    """A clipboard write: valid base64 of any text, broken base64, a query, a clear, or huge."""
    text = draw(st.text(max_size=40))
    valid = base64.b64encode(text.encode("utf-8", "surrogatepass"))
    payload = draw(
        st.sampled_from(
            [
                valid,
                valid + b"=",
                valid[:-1],
                valid.replace(b"A", b"!"),
                b" " + valid,
                b"?",
                b"",
                b"!!!!****",
                base64.b64encode(b"\xff\xfe\x00"),
                base64.b64encode(b"A" * 3000),
            ]
        )
    )
    selection = draw(st.sampled_from([b"c", b"p", b"", b"s0", b"cpqs"]))
    return b"\x1b]52;" + selection + b";" + payload + draw(st.sampled_from(TERMINATORS))


@st.composite
def string_sequence(draw: st.DrawFn) -> bytes:
    """DCS, SOS, PM or APC (7-bit and 8-bit introducers), or another OSC, with any content."""
    start = draw(
        st.sampled_from(
            [
                *(b"\x1bP", b"\x1bX", b"\x1b^", b"\x1b_", b"\x1b]8;;", b"\x1b]7;", b"\x1b]133;"),
                *(b"\x90", b"\x98", b"\x9d", b"\x9e", b"\x9f", b"\xc2\x90", b"\xc2\x9d"),
            ]
        )
    )
    body = b"".join(draw(st.lists(st.text(max_size=10).map(str.encode) | nasty_bytes, max_size=4)))
    return start + body + draw(st.sampled_from(TERMINATORS))


text_token = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    st.text(max_size=20),
    st.sampled_from(SPECIAL_TEXT),
).map(lambda text: text.encode("utf-8", "surrogatepass"))

plain_lines = st.integers(1, 300).map(lambda n: b"".join(b"line %d\r\n" % i for i in range(n)))
"""A run of plain lines, long enough for the emulator's backlog fast path."""

token = st.one_of(
    text_token,
    plain_lines,
    csi(),
    mode(),
    scroll_region(),
    osc_title(),
    osc52(),
    string_sequence(),
    st.sampled_from(QUERIES),
    st.sampled_from(C0),
    st.sampled_from(C1_RAW),
    st.sampled_from(C1_UTF8),
    st.sampled_from(BAD_UTF8),
    st.sampled_from([b"\x1b(0", b"\x1b(B", b"\x1b)0", b"\x0e", b"\x0f", b"\x1b7", b"\x1b8"]),
    st.sampled_from([b"\x1b#8", b"\x1bD", b"\x1bM", b"\x1bE", b"\x1bH", b"\x1b=", b"\x1b>"]),
    st.binary(min_size=1, max_size=16),
)

streams = st.lists(token, max_size=60).map(b"".join)
"""A terminal byte stream from the dangerous alphabet."""


@st.composite
def chunked(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """`stream` cut into chunks: random cuts, and cuts right after ESCs and inside UTF-8."""
    cuts = set(draw(st.lists(st.integers(0, max(0, len(stream))), max_size=12)))
    edges = [i + 1 for i, byte in enumerate(stream) if byte == 0x1B or byte >= 0xC0]
    if edges:
        cuts |= set(draw(st.lists(st.sampled_from(edges), max_size=8)))
    bounds = sorted({0, len(stream), *cuts})
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


sizes = st.tuples(st.integers(1, 200), st.integers(1, 60))
"""Screen sizes `(cols, rows)`, from one cell up."""
