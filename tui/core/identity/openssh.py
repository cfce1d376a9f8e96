"""The OpenSSH private key container (`openssh-key-v1`): read its clear part, build plain ones.

The public keys and the cipher name sit unencrypted at the start of the file, so a key's
fingerprint and whether it has a passphrase are known without asking for the passphrase.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

import asyncssh

from tui.core.identity.errors import KeyFormatError
from tui.core.identity.wire import WireReader, string, uint32

MAGIC = b"openssh-key-v1\x00"
BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
END = "-----END OPENSSH PRIVATE KEY-----"


@dataclass(frozen=True)
class OpenSshContainer:
    """The clear part of an OpenSSH private key file."""

    cipher: str
    kdf: str
    public_blobs: tuple[bytes, ...]
    private: bytes
    """The private section (encrypted unless `cipher` is `none`)."""

    @property
    def encrypted(self) -> bool:
        """True when the private section needs a passphrase."""
        return self.cipher != "none"


def _body(text: str) -> bytes:
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != BEGIN or END not in lines:
        raise KeyFormatError("not an OpenSSH private key (missing BEGIN/END lines)")
    payload = "".join(lines[1 : lines.index(END)])
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError("the OpenSSH private key's base64 data is corrupt") from None


def parse_container(data: bytes) -> OpenSshContainer:
    """Read the clear part of an OpenSSH private key file.

    Raises:
        KeyFormatError: when the file is corrupt or truncated.
    """
    raw = _body(data.decode("ascii", "replace"))
    if not raw.startswith(MAGIC):
        raise KeyFormatError("the OpenSSH private key has a bad header (corrupt file?)")
    reader = WireReader(raw[len(MAGIC) :], what="OpenSSH private key")
    cipher = reader.text()
    kdf = reader.text()
    reader.string()  # kdf options
    count = reader.uint32()
    if not 1 <= count <= 16:
        raise KeyFormatError(f"the OpenSSH private key claims {count} keys (corrupt file?)")
    blobs = tuple(reader.string() for _ in range(count))
    return OpenSshContainer(cipher, kdf, blobs, reader.string())


def build_plain(algorithm: str, public_blob: bytes, fields: bytes, comment: str) -> bytes:
    """An unencrypted OpenSSH private key file holding one key.

    Args:
        algorithm: The key's SSH algorithm name.
        public_blob: The public key in wire format.
        fields: The algorithm's private fields in OpenSSH's order, wire-encoded.
        comment: The key's comment.
    """
    check = os.urandom(4)
    section = check + check + string(algorithm) + fields + string(comment)
    section += bytes(range(1, 1 + (-len(section)) % 8))
    raw = MAGIC + string("none") + string("none") + string(b"") + uint32(1)
    raw += string(public_blob) + string(section)
    text = base64.b64encode(raw).decode("ascii")
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END, ""]).encode("ascii")


def private_fields(key: asyncssh.SSHKey) -> tuple[str, WireReader]:
    """The key's algorithm and a reader positioned on its private fields (OpenSSH order)."""
    container = parse_container(key.export_private_key("openssh"))
    reader = WireReader(container.private, what="OpenSSH private key")
    reader.uint32()
    reader.uint32()
    return reader.text(), reader
