"""The SOCKS handshake parser: every split of a valid request gives the same result."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.tunnels.socks import (
    REP_OK,
    REP_REFUSED,
    SocksError,
    SocksHandshake,
    SocksRequest,
    reply,
)

SOCKS5_HOST = b"\x05\x02\x00\x02" + b"\x05\x01\x00\x03\x09localhost\x1f\x90" + b"GET /"
SOCKS5_V4 = b"\x05\x01\x00" + b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50"
SOCKS5_V6 = b"\x05\x01\x00" + b"\x05\x01\x00\x04" + b"\x00" * 15 + b"\x01\x00\x16"
SOCKS4 = b"\x04\x01\x00\x50\x0a\x00\x00\x04user\x00"
SOCKS4A = b"\x04\x01\x1f\x90\x00\x00\x00\x01\x00gpu-node\x00hello"


def run(stream: bytes, cuts: list[int]) -> tuple[bytes, SocksRequest | None]:
    handshake = SocksHandshake()
    sent = b""
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    for start, end in itertools.pairwise(points):
        answer, request = handshake.feed(stream[start:end])
        sent += answer
        if request is not None:
            tail = stream[end:]
            return sent, SocksRequest(
                request.version, request.host, request.port, request.rest + tail
            )
    return sent, None


@pytest.mark.parametrize(
    ("stream", "answer", "expected"),
    [
        (SOCKS5_HOST, b"\x05\x00", SocksRequest(5, "localhost", 8080, b"GET /")),
        (SOCKS5_V4, b"\x05\x00", SocksRequest(5, "127.0.0.1", 80)),
        (SOCKS5_V6, b"\x05\x00", SocksRequest(5, "::1", 22)),
        (SOCKS4, b"", SocksRequest(4, "10.0.0.4", 80)),
        (SOCKS4A, b"", SocksRequest(4, "gpu-node", 8080, b"hello")),
    ],
)
def test_requests_in_one_piece(stream: bytes, answer: bytes, expected: SocksRequest) -> None:
    assert run(stream, []) == (answer, expected)


@given(
    st.sampled_from([SOCKS5_HOST, SOCKS5_V4, SOCKS5_V6, SOCKS4, SOCKS4A]),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_any_split_gives_the_same_request(stream: bytes, cuts: list[int]) -> None:
    assert run(stream, cuts) == run(stream, [])


def test_password_only_clients_are_told_no() -> None:
    with pytest.raises(SocksError, match="no method without a password") as info:
        SocksHandshake().feed(b"\x05\x01\x02")
    assert info.value.reply == b"\x05\xff"


def test_unsupported_command_and_garbage() -> None:
    handshake = SocksHandshake()
    handshake.feed(b"\x05\x01\x00")
    with pytest.raises(SocksError, match="only CONNECT") as info:
        handshake.feed(b"\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50")  # BIND
    assert info.value.reply[:2] == b"\x05\x07"
    with pytest.raises(SocksError, match="not a SOCKS 4 or 5 request"):
        SocksHandshake().feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(SocksError, match="user id is too long"):
        SocksHandshake().feed(b"\x04\x01\x00\x50\x0a\x00\x00\x04" + b"u" * 300)


def test_replies() -> None:
    assert reply(5, REP_OK)[:2] == b"\x05\x00"
    assert reply(5, REP_REFUSED)[:2] == b"\x05\x05"
    assert reply(4, REP_OK)[:2] == b"\x00\x5a"
    assert reply(4, REP_REFUSED)[:2] == b"\x00\x5b"
