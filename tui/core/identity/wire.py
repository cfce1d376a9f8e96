"""The SSH wire encoding (RFC 4251): uint32, string, mpint. Shared by key parsers and writers."""

from __future__ import annotations

import struct

from tui.core.identity.errors import KeyFormatError


def uint32(value: int) -> bytes:
    """A big-endian 32-bit unsigned integer."""
    return struct.pack(">I", value)


def string(data: bytes | str) -> bytes:
    """A length-prefixed byte string."""
    raw = data.encode() if isinstance(data, str) else data
    return uint32(len(raw)) + raw


def mpint(value: int) -> bytes:
    """A two's complement, big-endian, minimal-length integer (non-negative here)."""
    if value == 0:
        return uint32(0)
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return string(raw)


class WireReader:
    """Reads SSH wire values from `data` in order; truncated data raises `KeyFormatError`."""

    def __init__(self, data: bytes, *, what: str = "key data") -> None:
        self._data = data
        self._pos = 0
        self._what = what

    def _take(self, count: int) -> bytes:
        end = self._pos + count
        if count < 0 or end > len(self._data):
            raise KeyFormatError(f"the {self._what} is truncated or corrupt")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def uint32(self) -> int:
        """The next uint32."""
        return int(struct.unpack(">I", self._take(4))[0])

    def string(self) -> bytes:
        """The next length-prefixed string."""
        return self._take(self.uint32())

    def text(self) -> str:
        """The next string, decoded as UTF-8 (bad bytes replaced)."""
        return self.string().decode("utf-8", "replace")

    def mpint(self) -> int:
        """The next mpint (as a non-negative integer)."""
        return int.from_bytes(self.string(), "big")

    def rest(self) -> bytes:
        """Everything not read yet."""
        return self._take(len(self._data) - self._pos)

    @property
    def done(self) -> bool:
        """True once every byte was read."""
        return self._pos >= len(self._data)
