"""Make a new key pair, as `ssh-keygen` would: OpenSSH format, OpenSSH's file modes.

Nothing is overwritten unless the caller says the user confirmed it (`overwrite=True`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from tui.core.identity.errors import IdentityError, KeyExists, UnsupportedKeyType
from tui.core.identity.keyfiles import KeyFile, inspect_key_file, ssh_dir, tildify
from tui.core.identity.ppk import export_ppk

DEFAULT_TYPE = "ed25519"
KEY_CHOICES: dict[str, tuple[int, ...]] = {
    "ed25519": (256,),
    "rsa": (3072, 2048, 4096),
    "ecdsa": (256, 384, 521),
}
"""Key types offered and their sizes (the first is the default, as `ssh-keygen`'s)."""
OPENSSH_CIPHER = "aes256-ctr"
BCRYPT_ROUNDS = 16
"""`ssh-keygen -a` default."""


@dataclass(frozen=True)
class KeyRequest:
    """What the user asked for. `passphrase` is empty for an unprotected key."""

    path: Path
    kind: str = DEFAULT_TYPE
    bits: int | None = None
    comment: str = ""
    passphrase: str = ""

    def __repr__(self) -> str:  # never show the passphrase in logs or tracebacks
        return f"KeyRequest(path={self.path!r}, kind={self.kind!r}, bits={self.bits!r})"


def default_key_path(kind: str = DEFAULT_TYPE) -> Path:
    """`~/.ssh/id_<kind>`, where OpenSSH looks for keys by default."""
    return ssh_dir() / f"id_{kind}"


def check_new_passphrase(first: str, second: str) -> str | None:
    """Why a passphrase typed twice cannot be used (None: it can)."""
    if first != second:
        return "The passphrases do not match."
    return None


def existing_files(path: Path) -> list[Path]:
    """The files a key at `path` would replace (the key and its `.pub`)."""
    return [p for p in (path, Path(f"{path}.pub")) if p.exists() or p.is_symlink()]


def _algorithm(kind: str, bits: int | None) -> tuple[str, dict[str, int]]:
    sizes = KEY_CHOICES.get(kind)
    if sizes is None:
        raise UnsupportedKeyType(
            f"cannot generate {kind!r} keys; choose one of {', '.join(KEY_CHOICES)}"
        )
    size = bits or sizes[0]
    if size not in sizes:
        allowed = ", ".join(str(s) for s in sorted(sizes))
        raise UnsupportedKeyType(f"{kind} keys can have {allowed} bits, not {size}")
    if kind == "ed25519":
        return "ssh-ed25519", {}
    if kind == "ecdsa":
        return f"ecdsa-sha2-nistp{size}", {}
    return "ssh-rsa", {"key_size": size}


def _write(path: Path, data: bytes, mode: int, *, overwrite: bool) -> None:
    """Write `data` to `path` with `mode`, atomically; refuse to replace unless `overwrite`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails if path appeared meanwhile: never clobber
            os.unlink(temp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _refuse_existing(path: Path) -> None:
    found = existing_files(path)
    if found:
        names = tuple(tildify(p) for p in found)
        raise KeyExists(f"{' and '.join(names)} already exist", paths=names)


def generate_key(request: KeyRequest, *, overwrite: bool = False) -> KeyFile:
    """Create the key pair `request` describes and return its description.

    The private key is written in OpenSSH format (encrypted with bcrypt-pbkdf + aes256-ctr
    when a passphrase is given) with mode 0600, the public key with mode 0644, and a
    missing directory is created with mode 0700.

    Raises:
        KeyExists: when a file would be replaced and `overwrite` is False.
        UnsupportedKeyType: for an unknown type or size.
        IdentityError: when the files cannot be written.
    """
    algorithm, options = _algorithm(request.kind, request.bits)
    path = request.path.expanduser()
    if not overwrite:
        _refuse_existing(path)
    key = asyncssh.generate_private_key(algorithm, comment=request.comment or None, **options)
    return write_private_key(key, path, passphrase=request.passphrase, overwrite=overwrite)


def write_private_key(
    key: asyncssh.SSHKey, path: Path, *, passphrase: str | None, overwrite: bool = False
) -> KeyFile:
    """Save a key in OpenSSH format (mode 0600) with its `.pub` (mode 0644).

    Raises:
        KeyExists: when a file would be replaced and `overwrite` is False.
        IdentityError: when the files cannot be written.
    """
    path = path.expanduser()
    if not overwrite:
        _refuse_existing(path)
    private = key.export_private_key(
        "openssh",
        passphrase=passphrase or None,
        cipher_name=OPENSSH_CIPHER,
        rounds=BCRYPT_ROUNDS,
        ignore_few_rounds=True,
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(path, private, 0o600, overwrite=overwrite)
        _write(Path(f"{path}.pub"), key.export_public_key("openssh"), 0o644, overwrite=True)
    except FileExistsError:
        raise KeyExists(f"{tildify(path)} appeared meanwhile", paths=(tildify(path),)) from None
    except OSError as exc:
        raise IdentityError(f"cannot write {tildify(path)}: {exc.strerror or exc}") from None
    return inspect_key_file(path)


def write_ppk_file(
    key: asyncssh.SSHKey,
    path: Path,
    *,
    passphrase: str | None,
    version: int = 3,
    overwrite: bool = False,
) -> Path:
    """Save `key` as a PuTTY `.ppk` file (mode 0600) for PuTTY users; returns the path.

    Raises:
        KeyExists: when the file exists and `overwrite` is False.
        IdentityError: when it cannot be written.
    """
    path = path.expanduser()
    if not overwrite and (path.exists() or path.is_symlink()):
        raise KeyExists(f"{tildify(path)} already exists", paths=(tildify(path),))
    data = export_ppk(key, passphrase=passphrase, version=version)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(path, data, 0o600, overwrite=overwrite)
    except FileExistsError:
        raise KeyExists(f"{tildify(path)} appeared meanwhile", paths=(tildify(path),)) from None
    except OSError as exc:
        raise IdentityError(f"cannot write {tildify(path)}: {exc.strerror or exc}") from None
    return path
