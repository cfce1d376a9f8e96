"""The key files in `~/.ssh`: which they are, their public key, passphrase and permissions.

Listing never needs a passphrase: OpenSSH and PuTTY files keep the public key in clear, and
older PEM files are described from their `.pub`. Nothing here writes anything.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import asyncssh

from tui.core.identity.errors import (
    IdentityError,
    KeyFormatError,
    PassphraseRequired,
    WrongPassphrase,
)
from tui.core.identity.keyinfo import PublicKeyInfo, parse_public_blob, parse_public_line
from tui.core.identity.openssh import parse_container
from tui.core.identity.ppk import import_ppk, is_ppk, parse_ppk

PrivateKey: TypeAlias = asyncssh.SSHKey
"""A decrypted private key (asyncssh's type, named here so the UI need not import asyncssh)."""

MAX_KEY_FILE = 64 * 1024
NOT_KEYS = frozenset(
    {"config", "known_hosts", "known_hosts.old", "authorized_keys", "authorized_keys2", "rc"}
)
_MARKERS = {
    b"-----BEGIN OPENSSH PRIVATE KEY-----": "openssh",
    b"-----BEGIN RSA PRIVATE KEY-----": "pem",
    b"-----BEGIN EC PRIVATE KEY-----": "pem",
    b"-----BEGIN DSA PRIVATE KEY-----": "pem",
    b"-----BEGIN PRIVATE KEY-----": "pkcs8",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----": "pkcs8",
}


def ssh_dir() -> Path:
    """The user's `~/.ssh` (looked up now: HOME may change in tests)."""
    return Path("~/.ssh").expanduser()


def tildify(path: Path) -> str:
    """`path` with the home directory written as `~`, as users read paths."""
    home = Path("~").expanduser()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def key_format(head: bytes) -> str | None:
    """`openssh`, `pem`, `pkcs8` or `ppk` when `head` starts a private key file, else None."""
    start = head.lstrip()
    if is_ppk(start):
        return "ppk"
    for marker, name in _MARKERS.items():
        if start.startswith(marker):
            return name
    return None


@dataclass(frozen=True)
class KeyFile:
    """One private key file and what is known about it without its passphrase."""

    path: Path
    format: str
    """`openssh`, `pem`, `pkcs8` or `ppk`."""
    public: PublicKeyInfo | None
    """None when it cannot be known (corrupt, or an encrypted PEM key without `.pub`)."""
    encrypted: bool | None
    mode: int
    """The file's permission bits."""
    problem: str = ""
    """Why the key cannot be used, or what is odd about it; empty when all is well."""

    @property
    def permissions_safe(self) -> bool:
        """True when neither group nor others can read or write it (OpenSSH's rule)."""
        return not self.mode & 0o077

    @property
    def usable(self) -> bool:
        """True when the public key is known and nothing is wrong with the file."""
        return self.public is not None and not self.problem


@dataclass(frozen=True)
class KeyListing:
    """The keys of one `.ssh` directory."""

    directory: Path
    mode: int | None
    """The directory's permission bits; None when it does not exist."""
    keys: tuple[KeyFile, ...]

    @property
    def directory_safe(self) -> bool:
        """True when the directory is missing or closed to group and others."""
        return self.mode is None or not self.mode & 0o077


def _pub_file(path: Path) -> PublicKeyInfo | None:
    pub = Path(f"{path}.pub")
    try:
        return parse_public_line(pub.read_text(encoding="utf-8", errors="replace"))
    except (OSError, IdentityError):
        return None


def _describe(path: Path, data: bytes, fmt: str) -> tuple[PublicKeyInfo | None, bool | None, str]:
    """(public key, encrypted, problem) of a private key file's contents."""
    if fmt == "ppk":
        ppk = parse_ppk(data)
        return ppk.public(), ppk.encrypted, ""
    pub = _pub_file(path)
    if fmt == "openssh":
        container = parse_container(data)
        info = parse_public_blob(container.public_blobs[0])
        encrypted = container.encrypted
        if not encrypted:
            info = _clear_public(data)
    else:
        encrypted = b"ENCRYPTED" in data[:200]
        if encrypted:
            if pub is None:
                return None, True, "encrypted PEM key without a .pub: fingerprint unknown"
            return pub, True, ""
        info = _clear_public(data)
    if pub is not None and pub.blob != info.blob:
        return info, encrypted, f"{path.name}.pub holds another key than {path.name}"
    return pub or info, encrypted, ""


def _clear_public(data: bytes) -> PublicKeyInfo:
    """The public key (with comment) of an unencrypted private key."""
    try:
        key = asyncssh.import_private_key(data)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise KeyFormatError(f"corrupt private key ({exc})") from None
    return parse_public_blob(key.public_data, key.get_comment() or "")


def inspect_key_file(path: Path) -> KeyFile:
    """Describe one private key file; problems are reported in `KeyFile.problem`, not raised.

    Raises:
        IdentityError: when `path` is not a private key file at all.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE)
    except OSError as exc:
        raise IdentityError(f"cannot read {tildify(path)}: {exc.strerror or exc}") from None
    fmt = key_format(data[:64])
    if fmt is None:
        raise KeyFormatError(f"{tildify(path)} is not a private key file")
    try:
        public, encrypted, problem = _describe(path, data, fmt)
    except IdentityError as exc:
        return KeyFile(path, fmt, None, None, mode, exc.message)
    return KeyFile(path, fmt, public, encrypted, mode, problem)


def list_key_files(directory: Path | None = None) -> KeyListing:
    """Every private key file directly inside `directory` (default `~/.ssh`), sorted by name.

    Raises:
        IdentityError: when the directory exists but cannot be read.
    """
    folder = directory or ssh_dir()
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except FileNotFoundError:
        return KeyListing(folder, None, ())
    except OSError as exc:
        raise IdentityError(f"cannot read {tildify(folder)}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(folder.stat().st_mode):
        raise IdentityError(f"{tildify(folder)} is not a directory")
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file())
    except OSError as exc:
        raise IdentityError(
            f"cannot read {tildify(folder)}: {exc.strerror or exc} (it should belong to you "
            f"with mode 700: chmod 700 {tildify(folder)})"
        ) from None
    keys: list[KeyFile] = []
    for name in names:
        path = folder / name
        if name.endswith(".pub") or name in NOT_KEYS or _head_format(path) is None:
            continue
        try:
            keys.append(inspect_key_file(path))
        except IdentityError as exc:
            keys.append(KeyFile(path, "?", None, None, 0, exc.message))
    return KeyListing(folder, mode, tuple(keys))


def _head_format(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            return None
        with path.open("rb") as handle:
            return key_format(handle.read(64))
    except OSError:
        return "?"


def load_private_key(path: Path, passphrase: str | None = None) -> PrivateKey:
    """The private key in `path` (OpenSSH, PEM, PKCS#8 or `.ppk`), decrypted.

    Raises:
        PassphraseRequired: the key is encrypted and `passphrase` is None.
        WrongPassphrase: the passphrase does not open it.
        KeyFormatError: the file is not a usable private key.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"cannot read {tildify(path)}: {exc.strerror or exc}") from None
    if is_ppk(data):
        return import_ppk(data, passphrase)
    try:
        return asyncssh.import_private_key(data, passphrase)
    except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError, ValueError) as exc:
        text = str(exc)
        if "Passphrase must be specified" in text:
            raise PassphraseRequired(f"{tildify(path)} is protected by a passphrase") from None
        if passphrase is not None and ("passphrase" in text or "decrypt" in text):
            raise WrongPassphrase(f"wrong passphrase for {tildify(path)}") from None
        raise KeyFormatError(f"{tildify(path)} is not a usable private key ({text})") from None
