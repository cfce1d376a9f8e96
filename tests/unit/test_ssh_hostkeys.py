"""known_hosts matching, trust decisions and writing, as OpenSSH does them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import stat
import subprocess
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import require_binary
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.ssh.hostkeys import (
    HostKeyStatus,
    add_known_host,
    check_host_key,
    entries_for,
    fingerprint,
    host_key_error,
    known_hosts_name,
    patterns_match,
    public_key_line,
)


@pytest.fixture(scope="module")
def keys() -> dict[str, asyncssh.SSHKey]:
    return {
        "ed1": asyncssh.generate_private_key("ssh-ed25519").convert_to_public(),
        "ed2": asyncssh.generate_private_key("ssh-ed25519").convert_to_public(),
        "ecdsa": asyncssh.generate_private_key("ecdsa-sha2-nistp256").convert_to_public(),
    }


def test_fingerprint_matches_ssh_keygen(tmp_path: Path, keys: dict[str, asyncssh.SSHKey]) -> None:
    require_binary("ssh-keygen")  # fails in CI, skips elsewhere
    pub = tmp_path / "key.pub"
    keys["ed1"].write_public_key(pub)
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True)
    assert fingerprint(keys["ed1"]) == out.stdout.decode().split()[1]
    assert fingerprint(keys["ed1"]).startswith("SHA256:")


def test_add_known_host_writes_openssh_format_with_mode_0600(
    tmp_path: Path, keys: dict[str, asyncssh.SSHKey]
) -> None:
    path = tmp_path / "state" / "known_hosts"
    add_known_host(path, "10.0.0.4", 2222, keys["ed1"])
    add_known_host(path, "node-1", 22, keys["ecdsa"])
    lines = path.read_text().splitlines()
    assert lines == [
        f"[10.0.0.4]:2222 {public_key_line(keys['ed1'])}",
        f"node-1 {public_key_line(keys['ecdsa'])}",
    ]
    assert lines[0].split()[1] == "ssh-ed25519"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # what was written is found again, and OpenSSH reads it too
    assert [e.key for e in entries_for([path], "10.0.0.4", 2222)] == [keys["ed1"]]
    assert entries_for([path], "10.0.0.4", 22) == ()
    if shutil.which("ssh-keygen"):
        found = subprocess.run(
            ["ssh-keygen", "-F", "[10.0.0.4]:2222", "-f", str(path)], capture_output=True
        )
        assert found.returncode == 0


def test_add_known_host_repairs_a_missing_final_newline(
    tmp_path: Path, keys: dict[str, asyncssh.SSHKey]
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"old {public_key_line(keys['ed2'])}")
    add_known_host(path, "new", 22, keys["ed1"])
    assert [e.patterns for e in entries_for([path], "new")] == ["new"]
    assert len(path.read_text().splitlines()) == 2


def test_patterns_follow_openssh_rules() -> None:
    assert known_hosts_name("h", 22) == "h" and known_hosts_name("h", 2) == "[h]:2"
    assert patterns_match("a,node-?.example.com", "NODE-7.example.com")
    assert patterns_match("*.example.com,!bad.example.com", "ok.example.com")
    assert not patterns_match("*.example.com,!bad.example.com", "bad.example.com")
    assert not patterns_match("10.0.0.4", "[10.0.0.4]:2222")
    salt = b"0123456789abcdefghij"
    digest = hmac.new(salt, b"[10.0.0.4]:2222", hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    assert patterns_match(hashed, "[10.0.0.4]:2222")
    assert not patterns_match(hashed, "10.0.0.4")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_trusted_unknown_changed_and_revoked(
    tmp_path: Path, keys: dict[str, asyncssh.SSHKey]
) -> None:
    ed1, ed2, ecdsa = keys["ed1"], keys["ed2"], keys["ecdsa"]
    user = _write(tmp_path / "user", ["# comment", f"[h]:2222 {public_key_line(ed1)}"])
    app = _write(tmp_path / "app", [f"other {public_key_line(ed2)}", f"h {public_key_line(ecdsa)}"])

    entries = entries_for([user, app], "h", 2222)
    assert [(e.path, e.line) for e in entries] == [(user, 2)]
    assert check_host_key(entries, "h", 2222, ed1).status is HostKeyStatus.TRUSTED

    changed = check_host_key(entries, "h", 2222, ed2)
    assert changed.status is HostKeyStatus.CHANGED
    assert [(e.path, e.line) for e in changed.conflicts] == [(user, 2)]

    # only a key of another type is known: OpenSSH calls that unknown, not changed
    unknown = check_host_key(entries, "h", 2222, ecdsa)
    assert unknown.status is HostKeyStatus.UNKNOWN and unknown.other_types == ("ssh-ed25519",)
    nothing = check_host_key(entries_for([user, app], "nowhere"), "nowhere", 22, ed1)
    assert nothing.status is HostKeyStatus.UNKNOWN and nothing.other_types == ()

    revoked = _write(tmp_path / "revoked", [f"@revoked * {public_key_line(ed1)}"])
    entries = entries_for([user, revoked], "h", 2222)
    assert check_host_key(entries, "h", 2222, ed1).status is HostKeyStatus.REVOKED


def test_unparsable_lines_are_skipped(tmp_path: Path, keys: dict[str, asyncssh.SSHKey]) -> None:
    path = _write(
        tmp_path / "kh",
        [
            "garbage",
            "h ssh-ed25519 not-base64!",
            "@bogus h x y",
            f"h {public_key_line(keys['ed1'])}",
        ],
    )
    assert [e.line for e in entries_for([path], "h")] == [4]
    assert entries_for([tmp_path / "missing"], "h") == ()


def test_errors_name_host_type_fingerprint_and_the_line_to_remove(
    tmp_path: Path, keys: dict[str, asyncssh.SSHKey]
) -> None:
    path = _write(tmp_path / "kh", [f"[h]:2222 {public_key_line(keys['ed1'])}"])
    entries = entries_for([path], "h", 2222)

    changed = host_key_error(check_host_key(entries, "h", 2222, keys["ed2"]))
    assert isinstance(changed, HostKeyChanged)
    assert (changed.known_hosts_path, changed.line) == (str(path), 1)
    assert "man-in-the-middle" in changed.message and f"{path} line 1" in changed.message
    assert fingerprint(keys["ed2"]) in changed.message

    unknown = host_key_error(check_host_key((), "h", 2222, keys["ecdsa"]))
    assert isinstance(unknown, HostKeyUnknown)
    assert "h:2222 is not trusted yet" in unknown.message
    assert (
        "ecdsa-sha2-nistp256" in unknown.message and fingerprint(keys["ecdsa"]) in unknown.message
    )
    assert "ssh-keyscan -p 2222 h" in unknown.message
    assert asyncssh.import_public_key(unknown.public_key) == keys["ecdsa"]
