"""PuTTY .ppk files: our export reads back; damaged, locked and old files are refused clearly.

Files made by the real puttygen are in tests/integration/test_identity_putty.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import asyncssh
import pytest

from tui.core.identity.errors import (
    KeyFormatError,
    PassphraseRequired,
    UnsupportedKeyType,
    WrongPassphrase,
)
from tui.core.identity.keyinfo import parse_public_blob
from tui.core.identity.ppk import export_ppk, import_ppk, parse_ppk
from tui.core.identity.wire import string

ALGORITHMS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521", "ssh-rsa"]


@pytest.fixture(scope="module")
def keys() -> dict[str, asyncssh.SSHKey]:
    made = {}
    for alg in ALGORITHMS:
        options = {"key_size": 2048} if alg == "ssh-rsa" else {}
        made[alg] = asyncssh.generate_private_key(alg, comment=f"{alg} key", **options)
    return made


CASES = [(alg, None, 3) for alg in ALGORITHMS] + [(alg, "correct horse", 2) for alg in ALGORITHMS]
CASES += [("ssh-ed25519", None, 2), ("ssh-ed25519", "correct horse", 3), ("ssh-rsa", "pw", 3)]


@pytest.mark.parametrize(("alg", "passphrase", "version"), CASES)
def test_export_then_import_gives_the_same_key(
    keys: dict[str, asyncssh.SSHKey], alg: str, passphrase: str | None, version: int
) -> None:
    key = keys[alg]
    data = export_ppk(key, passphrase=passphrase, version=version)
    assert data.startswith(f"PuTTY-User-Key-File-{version}: {alg}\n".encode())
    ppk = parse_ppk(data)
    assert ppk.encrypted is (passphrase is not None)
    assert ppk.public().fingerprint == parse_public_blob(key.public_data).fingerprint
    back = import_ppk(data, passphrase)
    assert back.public_data == key.public_data
    assert back.get_comment() == f"{alg} key"
    signature = back.sign(b"hello", back.sig_algorithms[0])  # the private half works too
    assert key.convert_to_public().verify(b"hello", signature)


def test_locked_files_need_the_right_passphrase(keys: dict[str, asyncssh.SSHKey]) -> None:
    data = export_ppk(keys["ssh-ed25519"], passphrase="right")
    with pytest.raises(PassphraseRequired):
        import_ppk(data)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        import_ppk(data, "wrong")
    v2 = export_ppk(keys["ssh-ed25519"], passphrase="right", version=2)
    with pytest.raises(WrongPassphrase):
        import_ppk(v2, "")


def test_damaged_files_are_refused(keys: dict[str, asyncssh.SSHKey]) -> None:
    data = export_ppk(keys["ssh-ed25519"]).decode()
    lines = data.splitlines()
    mac_at = next(i for i, line in enumerate(lines) if line.startswith("Private-MAC"))
    lines[mac_at] = "Private-MAC: " + "00" * 32
    with pytest.raises(KeyFormatError, match="MAC does not match"):
        import_ppk("\n".join(lines).encode())
    with pytest.raises(KeyFormatError, match=r"truncated|lacks"):
        import_ppk(data[: len(data) // 2].encode())
    with pytest.raises(KeyFormatError, match="version 1"):
        import_ppk(b"PuTTY-User-Key-File-1: ssh-rsa\nEncryption: none\n")
    with pytest.raises(KeyFormatError, match="malformed line"):
        import_ppk(b"PuTTY-User-Key-File-3: ssh-ed25519\ngarbage\n")
    windows = data.replace("\n", "\r\n").encode()  # PuTTY on Windows writes CRLF
    assert import_ppk(windows).public_data == keys["ssh-ed25519"].public_data


def test_unsupported_putty_key_types() -> None:
    public = string("ssh-ed448") + string(bytes(57))
    private = string(bytes(57))
    mac_data = string("ssh-ed448") + string("none") + string("") + string(public)
    mac = hmac.new(b"", mac_data + string(private), hashlib.sha256).hexdigest()
    text = (
        f"PuTTY-User-Key-File-3: ssh-ed448\nEncryption: none\nComment: \n"
        f"Public-Lines: 1\n{base64.b64encode(public).decode()}\n"
        f"Private-Lines: 1\n{base64.b64encode(private).decode()}\nPrivate-MAC: {mac}\n"
    )
    with pytest.raises(UnsupportedKeyType, match="'ssh-ed448' is not supported"):
        import_ppk(text.encode())
