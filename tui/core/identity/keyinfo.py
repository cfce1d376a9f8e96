"""Public keys: type, size, SHA256 fingerprint and randomart, exactly as OpenSSH prints them."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from tui.core.identity.errors import KeyFormatError, UnsupportedKeyType
from tui.core.identity.wire import WireReader

_ECDSA_BITS = {"nistp256": 256, "nistp384": 384, "nistp521": 521}
_KINDS = {
    "ssh-ed25519": "ED25519",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
}
SUPPORTED = tuple(_KINDS)
"""Public key algorithms clusterdeck can list and fingerprint."""

# OpenSSH's sshkey.c fingerprint_randomart(): a 17x9 field walked by the digest's bit pairs.
_FIELD_X, _FIELD_Y = 17, 9
_SYMBOLS = " .o+=*BOX@%&#/^SE"


def sha256_fingerprint(blob: bytes) -> str:
    """`SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -l` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def randomart(digest: bytes, title: str, hash_name: str = "SHA256") -> str:
    """The "drunken bishop" picture OpenSSH draws for a fingerprint digest.

    Args:
        digest: The raw hash of the public key blob.
        title: The top label without brackets, e.g. `ED25519 256`.
        hash_name: The bottom label, e.g. `SHA256`.
    """
    limit = len(_SYMBOLS) - 1
    field = [[0] * _FIELD_Y for _ in range(_FIELD_X)]
    x, y = _FIELD_X // 2, _FIELD_Y // 2
    for byte in digest:
        for _ in range(4):
            x = min(max(x + (1 if byte & 1 else -1), 0), _FIELD_X - 1)
            y = min(max(y + (1 if byte & 2 else -1), 0), _FIELD_Y - 1)
            if field[x][y] < limit - 2:
                field[x][y] += 1
            byte >>= 2
    field[_FIELD_X // 2][_FIELD_Y // 2] = limit - 1
    field[x][y] = limit
    top = f"[{title}]"
    if len(top) > _FIELD_X:
        top = f"[{title.split()[0]}]"
    lines = [_border(top[: _FIELD_X - 1])]
    for row in range(_FIELD_Y):
        cells = "".join(_SYMBOLS[min(field[col][row], limit)] for col in range(_FIELD_X))
        lines.append(f"|{cells}|")
    lines.append(_border(f"[{hash_name}]"))
    return "\n".join(lines)


def _border(label: str) -> str:
    left = (_FIELD_X - len(label)) // 2
    return "+" + "-" * left + label + "-" * (_FIELD_X - left - len(label)) + "+"


def key_bits(algorithm: str, reader: WireReader) -> int:
    """The key size OpenSSH reports, read from the rest of a public blob after its type."""
    if algorithm == "ssh-rsa":
        reader.mpint()  # e
        return reader.mpint().bit_length()
    if algorithm == "ssh-dss":
        return reader.mpint().bit_length()
    if algorithm.startswith(("ecdsa-sha2-", "sk-ecdsa-sha2-")):
        curve = reader.text()
        if curve not in _ECDSA_BITS:
            raise UnsupportedKeyType(f"ECDSA curve {curve!r} is not supported")
        return _ECDSA_BITS[curve]
    if algorithm in {"ssh-ed25519", "sk-ssh-ed25519@openssh.com"}:
        if len(reader.string()) != 32:
            raise KeyFormatError("the ED25519 public key is not 32 bytes long")
        return 256
    raise UnsupportedKeyType(
        f"key type {algorithm!r} is not supported (clusterdeck handles ed25519, ecdsa, rsa "
        f"and dsa keys)"
    )


@dataclass(frozen=True)
class PublicKeyInfo:
    """A public key as a user sees it: what `ssh-keygen -l` tells about it."""

    algorithm: str
    """The SSH algorithm name, e.g. `ssh-ed25519`."""
    blob: bytes
    """The public key in SSH wire format."""
    bits: int
    comment: str = ""

    @property
    def kind(self) -> str:
        """OpenSSH's short type name: ED25519, RSA, ECDSA, DSA, ED25519-SK, ECDSA-SK."""
        return _KINDS.get(self.algorithm, self.algorithm)

    @property
    def fingerprint(self) -> str:
        """The SHA256 fingerprint, `SHA256:...`."""
        return sha256_fingerprint(self.blob)

    @property
    def openssh_line(self) -> str:
        """The key as one `.pub` / authorized_keys line (with its comment when it has one)."""
        line = f"{self.algorithm} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{line} {self.comment}" if self.comment else line

    def randomart(self) -> str:
        """The randomart picture `ssh-keygen -lv` draws for this key."""
        return randomart(hashlib.sha256(self.blob).digest(), f"{self.kind} {self.bits}")

    def report(self) -> str:
        """Exactly what `ssh-keygen -lv -f <key>.pub` prints (without the final newline)."""
        comment = self.comment or "no comment"
        return f"{self.bits} {self.fingerprint} {comment} ({self.kind})\n{self.randomart()}"


def parse_public_blob(blob: bytes, comment: str = "") -> PublicKeyInfo:
    """Describe a public key blob.

    Raises:
        KeyFormatError: when the blob is truncated or malformed.
        UnsupportedKeyType: for key types clusterdeck does not handle.
    """
    reader = WireReader(blob, what="public key")
    algorithm = reader.string().decode("ascii", "replace")
    return PublicKeyInfo(algorithm, blob, key_bits(algorithm, reader), comment)


def parse_public_line(line: str) -> PublicKeyInfo:
    """Describe an OpenSSH public key line: `type base64 [comment]`.

    Raises:
        KeyFormatError: when the line is not a public key.
        UnsupportedKeyType: for key types clusterdeck does not handle.
    """
    fields = line.strip().split(maxsplit=2)
    if len(fields) < 2:
        raise KeyFormatError("not an OpenSSH public key line (expected `type base64 [comment]`)")
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError("the public key's base64 data is corrupt") from None
    info = parse_public_blob(blob, fields[2] if len(fields) > 2 else "")
    if info.algorithm != fields[0]:
        raise KeyFormatError(
            f"the line says {fields[0]!r} but the key inside is {info.algorithm!r}"
        )
    return info
