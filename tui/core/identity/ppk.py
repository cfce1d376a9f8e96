"""PuTTY private key files (`.ppk`, versions 2 and 3): read them, and save keys as them.

Version 2 derives the AES key from the passphrase with SHA-1 and protects the file with
HMAC-SHA-1; version 3 uses Argon2 and HMAC-SHA-256 (PuTTY 0.75 and later).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

import asyncssh
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2d, Argon2i, Argon2id

from tui.core.identity.errors import (
    KeyFormatError,
    PassphraseRequired,
    UnsupportedKeyType,
    WrongPassphrase,
)
from tui.core.identity.keyinfo import PublicKeyInfo, parse_public_blob
from tui.core.identity.openssh import build_plain, private_fields
from tui.core.identity.wire import WireReader, mpint, string

HEADER = b"PuTTY-User-Key-File-"
CIPHER = "aes256-cbc"
ARGON2: dict[str, type[Argon2id] | type[Argon2i] | type[Argon2d]] = {
    "Argon2id": Argon2id,
    "Argon2i": Argon2i,
    "Argon2d": Argon2d,
}
ARGON2_MEMORY_KIB = 8192
ARGON2_PASSES = 8
LINE = 64


@dataclass(frozen=True)
class PpkFile:
    """The fields of a `.ppk` file (the private part still encrypted, if it is)."""

    version: int
    algorithm: str
    encryption: str
    comment: str
    public_blob: bytes
    private_blob: bytes
    mac: bytes
    kdf: dict[str, str]
    """Version 3 key derivation fields (`Key-Derivation`, `Argon2-Memory`, ...)."""

    @property
    def encrypted(self) -> bool:
        """True when a passphrase is needed."""
        return self.encryption != "none"

    def public(self) -> PublicKeyInfo:
        """The public key (readable without the passphrase)."""
        return parse_public_blob(self.public_blob, self.comment)


def is_ppk(data: bytes) -> bool:
    """True when `data` starts like a PuTTY private key file."""
    return data.lstrip().startswith(HEADER)


def _b64(lines: list[str], what: str) -> bytes:
    try:
        return base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"the .ppk file's {what} lines are corrupt") from None


def parse_ppk(data: bytes) -> PpkFile:
    """Read a `.ppk` file's fields.

    Raises:
        KeyFormatError: when the file is corrupt, truncated or of PPK version 1.
    """
    lines = data.decode("utf-8", "replace").strip().splitlines()
    fields: dict[str, str] = {}
    blocks: dict[str, bytes] = {}
    i = 0
    while i < len(lines):
        name, sep, value = lines[i].partition(": ")
        if not sep:
            raise KeyFormatError(f"the .ppk file has a malformed line {i + 1}")
        i += 1
        if name in {"Public-Lines", "Private-Lines"}:
            try:
                count = int(value)
            except ValueError:
                raise KeyFormatError(f"the .ppk file has a bad {name} count") from None
            if count < 0 or i + count > len(lines):
                raise KeyFormatError("the .ppk file is truncated")
            blocks[name] = _b64([line.strip() for line in lines[i : i + count]], name)
            i += count
        else:
            fields[name] = value.strip()
    version, algorithm = 0, ""
    for number in (2, 3):
        if f"PuTTY-User-Key-File-{number}" in fields:
            version, algorithm = number, fields[f"PuTTY-User-Key-File-{number}"]
    if version == 0:
        raise KeyFormatError(
            "not a PPK version 2 or 3 file (PPK version 1 keys: re-save them with PuTTYgen)"
        )
    missing = [k for k in ("Encryption", "Private-MAC") if k not in fields]
    missing += [k for k in ("Public-Lines", "Private-Lines") if k not in blocks]
    if missing:
        raise KeyFormatError(f"the .ppk file lacks {', '.join(missing)} (truncated?)")
    try:
        mac = bytes.fromhex(fields["Private-MAC"])
    except ValueError:
        raise KeyFormatError("the .ppk file's Private-MAC is not hexadecimal") from None
    encryption = fields["Encryption"]
    if encryption not in {"none", CIPHER}:
        raise KeyFormatError(f"the .ppk file uses an unknown encryption {encryption!r}")
    kdf = {k: v for k, v in fields.items() if k == "Key-Derivation" or k.startswith("Argon2-")}
    return PpkFile(
        version,
        algorithm,
        encryption,
        fields.get("Comment", ""),
        blocks["Public-Lines"],
        blocks["Private-Lines"],
        mac,
        kdf,
    )


def _keys(ppk: PpkFile, passphrase: str) -> tuple[bytes, bytes, bytes]:
    """(cipher key, iv, MAC key) for `ppk` and `passphrase`."""
    secret = passphrase.encode()
    if ppk.version == 2:
        key = hashlib.sha1(b"\0\0\0\0" + secret).digest()
        key += hashlib.sha1(b"\0\0\0\1" + secret).digest()
        mac_key = hashlib.sha1(b"putty-private-key-file-mac-key" + secret).digest()
        return key[:32], bytes(16), mac_key
    if not ppk.encrypted:
        return b"", b"", b""
    return _argon2(ppk.kdf, secret)


def _argon2(kdf: dict[str, str], secret: bytes) -> tuple[bytes, bytes, bytes]:
    flavour = ARGON2.get(kdf.get("Key-Derivation", ""))
    if flavour is None:
        raise KeyFormatError(f"unknown .ppk key derivation {kdf.get('Key-Derivation')!r}")
    try:
        out = flavour(
            salt=bytes.fromhex(kdf["Argon2-Salt"]),
            length=80,
            iterations=int(kdf["Argon2-Passes"]),
            lanes=int(kdf["Argon2-Parallelism"]),
            memory_cost=int(kdf["Argon2-Memory"]),
        ).derive(secret)
    except (KeyError, ValueError) as exc:
        raise KeyFormatError(f"the .ppk file's Argon2 parameters are bad ({exc})") from None
    return out[:32], out[32:48], out[48:]


def _mac(ppk: PpkFile, mac_key: bytes, private_plain: bytes) -> bytes:
    data = string(ppk.algorithm) + string(ppk.encryption) + string(ppk.comment)
    data += string(ppk.public_blob) + string(private_plain)
    digest = hashlib.sha1 if ppk.version == 2 else hashlib.sha256
    return hmac.new(mac_key, data, digest).digest()


def _aes(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def decrypt_private(ppk: PpkFile, passphrase: str | None) -> bytes:
    """The private blob in clear, its MAC checked.

    Raises:
        PassphraseRequired: the file is encrypted and `passphrase` is None.
        WrongPassphrase: the MAC does not match an encrypted file.
        KeyFormatError: the MAC does not match a clear file (it was altered or is corrupt).
    """
    if ppk.encrypted and passphrase is None:
        raise PassphraseRequired("this .ppk key is protected by a passphrase")
    cipher_key, iv, mac_key = _keys(ppk, passphrase if ppk.encrypted and passphrase else "")
    plain = ppk.private_blob
    if ppk.encrypted:
        if len(plain) % 16:
            raise KeyFormatError("the .ppk file's private part has a bad length (corrupt?)")
        plain = _aes(cipher_key, iv, plain, encrypt=False)
    if not hmac.compare_digest(_mac(ppk, mac_key, plain), ppk.mac):
        if ppk.encrypted:
            raise WrongPassphrase("wrong passphrase for this .ppk key")
        raise KeyFormatError("the .ppk file's MAC does not match: it is corrupt or was altered")
    return plain


def _openssh_fields(algorithm: str, public: WireReader, private: WireReader) -> bytes:
    """PuTTY's public + private fields as OpenSSH's private fields for `algorithm`."""
    if algorithm == "ssh-rsa":
        e, n = public.mpint(), public.mpint()
        d, p, q, iqmp = (private.mpint() for _ in range(4))
        return b"".join(mpint(v) for v in (n, e, d, iqmp, p, q))
    if algorithm == "ssh-dss":
        values = [public.mpint() for _ in range(4)] + [private.mpint()]
        return b"".join(mpint(v) for v in values)
    if algorithm.startswith("ecdsa-sha2-"):
        return string(public.string()) + string(public.string()) + mpint(private.mpint())
    if algorithm == "ssh-ed25519":
        point, seed = public.string(), private.string()
        return string(point) + string(seed + point)
    raise UnsupportedKeyType(f"PuTTY key type {algorithm!r} is not supported")


def import_ppk(data: bytes, passphrase: str | None = None) -> asyncssh.SSHKey:
    """The private key held by a `.ppk` file, with its comment.

    Raises:
        PassphraseRequired, WrongPassphrase, KeyFormatError, UnsupportedKeyType.
    """
    ppk = parse_ppk(data)
    info = ppk.public()
    plain = decrypt_private(ppk, passphrase)
    public = WireReader(ppk.public_blob, what=".ppk public key")
    public.string()
    fields = _openssh_fields(info.algorithm, public, WireReader(plain, what=".ppk private key"))
    try:
        key = asyncssh.import_private_key(build_plain(info.algorithm, ppk.public_blob, fields, ""))
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise KeyFormatError(f"the .ppk key is inconsistent ({exc})") from None
    if key.public_data != ppk.public_blob:
        raise KeyFormatError("the .ppk file's private and public parts do not match")
    key.set_comment(ppk.comment or None)
    return key


def _putty_private(key: asyncssh.SSHKey) -> tuple[str, bytes]:
    algorithm, fields = private_fields(key)
    if algorithm == "ssh-rsa":
        _n, _e, d, iqmp, p, q = (fields.mpint() for _ in range(6))
        return algorithm, b"".join(mpint(v) for v in (d, p, q, iqmp))
    if algorithm == "ssh-dss":
        return algorithm, mpint([fields.mpint() for _ in range(5)][-1])
    if algorithm.startswith("ecdsa-sha2-"):
        fields.string()
        fields.string()
        return algorithm, mpint(fields.mpint())
    if algorithm == "ssh-ed25519":
        fields.string()
        return algorithm, string(fields.string()[:32])
    raise UnsupportedKeyType(f"{algorithm} keys cannot be saved as .ppk")


def _wrap(data: bytes) -> list[str]:
    text = base64.b64encode(data).decode("ascii")
    return [text[i : i + LINE] for i in range(0, len(text), LINE)]


def export_ppk(key: asyncssh.SSHKey, *, passphrase: str | None = None, version: int = 3) -> bytes:
    """`key` as a `.ppk` file (version 3 by default, 2 for PuTTY before 0.75).

    An empty or None passphrase writes the file unencrypted, as PuTTYgen does.
    """
    if version not in (2, 3):
        raise ValueError("PPK version must be 2 or 3")
    algorithm, private = _putty_private(key)
    encrypted = bool(passphrase)
    kdf: dict[str, str] = {}
    if encrypted and version == 3:
        kdf = {
            "Key-Derivation": "Argon2id",
            "Argon2-Memory": str(ARGON2_MEMORY_KIB),
            "Argon2-Passes": str(ARGON2_PASSES),
            "Argon2-Parallelism": "1",
            "Argon2-Salt": os.urandom(16).hex(),
        }
    if encrypted:
        private += os.urandom(-len(private) % 16)
    ppk = PpkFile(
        version,
        algorithm,
        CIPHER if encrypted else "none",
        key.get_comment() or "",
        key.public_data,
        private,
        b"",
        kdf,
    )
    cipher_key, iv, mac_key = _keys(ppk, passphrase or "")
    mac = _mac(ppk, mac_key, private)
    stored = _aes(cipher_key, iv, private, encrypt=True) if encrypted else private
    public_lines, private_lines = _wrap(ppk.public_blob), _wrap(stored)
    out = [
        f"PuTTY-User-Key-File-{version}: {algorithm}",
        f"Encryption: {ppk.encryption}",
        f"Comment: {ppk.comment}",
        f"Public-Lines: {len(public_lines)}",
        *public_lines,
        *(f"{name}: {value}" for name, value in kdf.items()),
        f"Private-Lines: {len(private_lines)}",
        *private_lines,
        f"Private-MAC: {mac.hex()}",
        "",
    ]
    return "\n".join(out).encode("utf-8")
