"""Fingerprints, randomart and key sizes, checked against a picture `ssh-keygen -lv` drew."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.identity.errors import KeyFormatError, UnsupportedKeyType
from tui.core.identity.keyinfo import parse_public_blob, parse_public_line, randomart
from tui.core.identity.wire import mpint, string

FIXED = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4 fixed@test"
)
# `ssh-keygen -lv -f fixed.pub` (OpenSSH 9.2) for the key above.
FIXED_REPORT = """\
256 SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg fixed@test (ED25519)
+--[ED25519 256]--+
|===+ +.  ..+=.o. |
|o.  + o o .*..   |
|o .  + o .B.     |
|.o  E o  =...    |
|  o ... S.oo .   |
|   o.+ . .o o    |
|   o. . .. . +   |
|    o . o   o .  |
|     oo+         |
+----[SHA256]-----+"""


def test_report_is_what_ssh_keygen_prints() -> None:
    info = parse_public_line(FIXED)
    assert info.report() == FIXED_REPORT
    assert info.openssh_line == FIXED
    assert (info.kind, info.bits, info.comment) == ("ED25519", 256, "fixed@test")


def test_no_comment_is_written_as_ssh_keygen_does() -> None:
    info = parse_public_line(FIXED.rsplit(" ", 1)[0])
    assert info.report().splitlines()[0].endswith(" no comment (ED25519)")


def test_rsa_and_ecdsa_sizes_come_from_the_blob() -> None:
    rsa = string("ssh-rsa") + mpint(65537) + mpint((1 << 3071) | 1)
    assert parse_public_blob(rsa).bits == 3072
    assert parse_public_blob(rsa).randomart().startswith("+---[RSA 3072]----+")
    ecdsa = string("ecdsa-sha2-nistp384") + string("nistp384") + string(b"\x04" + bytes(96))
    assert (parse_public_blob(ecdsa).kind, parse_public_blob(ecdsa).bits) == ("ECDSA", 384)


def test_unsupported_and_corrupt_keys_say_so() -> None:
    with pytest.raises(UnsupportedKeyType, match="'ssh-foo' is not supported"):
        parse_public_blob(string("ssh-foo") + string(b"x"))
    with pytest.raises(KeyFormatError, match="truncated or corrupt"):
        parse_public_blob(string("ssh-rsa") + b"\x00\x00\x01")
    with pytest.raises(KeyFormatError, match="base64"):
        parse_public_line("ssh-ed25519 !!!notbase64")
    with pytest.raises(KeyFormatError, match="expected"):
        parse_public_line("just-one-field")
    blob = base64.b64encode(string("ssh-ed25519") + string(bytes(32))).decode()
    with pytest.raises(KeyFormatError, match="says 'ssh-rsa'"):
        parse_public_line(f"ssh-rsa {blob}")


@given(st.binary(min_size=32, max_size=32))
def test_randomart_shape_for_any_digest(digest: bytes) -> None:
    lines = randomart(digest, "ED25519 256").splitlines()
    assert len(lines) == 11 and {len(line) for line in lines} == {19}
    body = "".join(line[1:-1] for line in lines[1:-1])
    assert body.count("S") == 1 or body.count("E") >= 1  # start may be overwritten by the end
    assert body.count("E") == 1
