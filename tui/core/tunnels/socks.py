"""A minimal SOCKS server handshake (SOCKS5 without auth, SOCKS4 and 4a; CONNECT only).

Pure and incremental: feed whatever bytes arrived, get back what to answer and, once complete, the
host and port the client asked for. The reply is sent only after the SSH channel opened (or
failed), so a client sees "connection refused" when the node refuses, as with a direct connect.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SOCKS4 = 0x04
SOCKS5 = 0x05
CONNECT = 0x01
NO_AUTH = 0x00
NO_ACCEPTABLE_METHOD = 0xFF

REP_OK = 0x00
REP_GENERAL_FAILURE = 0x01
REP_NOT_ALLOWED = 0x02
REP_HOST_UNREACHABLE = 0x04
REP_REFUSED = 0x05
REP_COMMAND_NOT_SUPPORTED = 0x07
REP_ADDRESS_NOT_SUPPORTED = 0x08

MAX_FIELD = 255
"""Longest SOCKS4 user id or host name accepted."""


class SocksError(Exception):
    """The client sent something that is not a SOCKS request we support.

    `reply` holds what to send back before closing (may be empty).
    """

    def __init__(self, message: str, reply: bytes = b"") -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True)
class SocksRequest:
    """A complete CONNECT request."""

    version: int
    host: str
    port: int
    rest: bytes = b""
    """Bytes the client sent after the request (to forward once connected)."""


def reply(version: int, code: int) -> bytes:
    """The answer to a CONNECT request: `code` is a SOCKS5 `REP_*` (mapped for SOCKS4)."""
    if version == SOCKS4:
        return bytes((0, 0x5A if code == REP_OK else 0x5B, 0, 0, 0, 0, 0, 0))
    return bytes((SOCKS5, code, 0, 0x01, 0, 0, 0, 0, 0, 0))


class SocksHandshake:
    """The server side of one client's handshake."""

    def __init__(self) -> None:
        self._buf = b""
        self._greeted = False

    def feed(self, data: bytes) -> tuple[bytes, SocksRequest | None]:
        """Take newly received bytes.

        Returns:
            (bytes to send to the client now, the request once it is complete).

        Raises:
            SocksError: for a malformed or unsupported request.
        """
        self._buf += data
        out = b""
        if not self._buf:
            return out, None
        version = self._buf[0]
        if version == SOCKS4:
            return out, self._socks4()
        if version != SOCKS5:
            raise SocksError(f"not a SOCKS 4 or 5 request (first byte {version:#04x})")
        if not self._greeted:
            if len(self._buf) < 2 or len(self._buf) < 2 + self._buf[1]:
                return out, None
            methods = self._buf[2 : 2 + self._buf[1]]
            self._buf = self._buf[2 + self._buf[1] :]
            if NO_AUTH not in methods:
                raise SocksError(
                    "the SOCKS client offers no method without a password; only "
                    "unauthenticated SOCKS is served (the proxy listens on loopback)",
                    bytes((SOCKS5, NO_ACCEPTABLE_METHOD)),
                )
            self._greeted = True
            out = bytes((SOCKS5, NO_AUTH))
            if not self._buf:
                return out, None
        return out, self._socks5()

    def _socks5(self) -> SocksRequest | None:
        buf = self._buf
        if len(buf) < 5:
            return None
        if buf[0] != SOCKS5:
            raise SocksError("SOCKS5 request has a bad version byte")
        if buf[1] != CONNECT:
            raise SocksError(
                f"SOCKS command {buf[1]} is not supported (only CONNECT)",
                reply(SOCKS5, REP_COMMAND_NOT_SUPPORTED),
            )
        kind = buf[3]
        if kind == 0x01:
            end = 4 + 4
            if len(buf) < end + 2:
                return None
            host = str(ipaddress.IPv4Address(buf[4:end]))
        elif kind == 0x04:
            end = 4 + 16
            if len(buf) < end + 2:
                return None
            host = str(ipaddress.IPv6Address(buf[4:end]))
        elif kind == 0x03:
            end = 5 + buf[4]
            if len(buf) < end + 2:
                return None
            host = _text(buf[5:end], SOCKS5)
        else:
            raise SocksError(
                f"SOCKS address type {kind} is not supported",
                reply(SOCKS5, REP_ADDRESS_NOT_SUPPORTED),
            )
        port = int.from_bytes(buf[end : end + 2], "big")
        return SocksRequest(SOCKS5, host, port, buf[end + 2 :])

    def _socks4(self) -> SocksRequest | None:
        buf = self._buf
        if len(buf) < 8:
            return None
        if buf[1] != CONNECT:
            raise SocksError(
                f"SOCKS4 command {buf[1]} is not supported (only CONNECT)",
                reply(SOCKS4, REP_GENERAL_FAILURE),
            )
        port = int.from_bytes(buf[2:4], "big")
        user_end = buf.find(b"\0", 8)
        if user_end < 0:
            if len(buf) > 8 + MAX_FIELD:
                raise SocksError("SOCKS4 user id is too long", reply(SOCKS4, REP_GENERAL_FAILURE))
            return None
        address = buf[4:8]
        if address[:3] == b"\0\0\0" and address[3] != 0:  # SOCKS4a: a host name follows
            host_end = buf.find(b"\0", user_end + 1)
            if host_end < 0:
                if len(buf) > user_end + 1 + MAX_FIELD:
                    raise SocksError(
                        "SOCKS4a host name is too long", reply(SOCKS4, REP_GENERAL_FAILURE)
                    )
                return None
            host = _text(buf[user_end + 1 : host_end], SOCKS4)
            return SocksRequest(SOCKS4, host, port, buf[host_end + 1 :])
        return SocksRequest(SOCKS4, str(ipaddress.IPv4Address(address)), port, buf[user_end + 1 :])


def _text(raw: bytes, version: int) -> str:
    try:
        host = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SocksError(
            "SOCKS host name is not UTF-8", reply(version, REP_GENERAL_FAILURE)
        ) from None
    if not host:
        raise SocksError("SOCKS host name is empty", reply(version, REP_GENERAL_FAILURE))
    return host
