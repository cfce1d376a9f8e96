"""Key files in ~/.ssh: listing, bad files, generation without clobbering, permission fixes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh
import pytest

from tui.core.identity.errors import (
    IdentityError,
    KeyExists,
    PassphraseRequired,
    UnsupportedKeyType,
    WrongPassphrase,
)
from tui.core.identity.generate import KeyRequest, generate_key, write_ppk_file
from tui.core.identity.keyfiles import list_key_files, load_private_key
from tui.core.identity.openssh import build_plain
from tui.core.identity.permissions import apply_permission_fixes, plan_permission_fixes
from tui.core.identity.wire import string


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ssh_dir(isolated_home: Path) -> Path:
    path = isolated_home / ".ssh"
    path.mkdir(mode=0o700)
    return path


def test_generated_keys_use_openssh_modes_and_never_clobber(isolated_home: Path) -> None:
    path = isolated_home / ".ssh" / "id_ed25519"
    made = generate_key(KeyRequest(path, comment="me@ws", passphrase="s3cret passphrase"))
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    assert mode(Path(f"{path}.pub")) == 0o644
    assert made.encrypted is True and made.public is not None
    assert (made.public.kind, made.public.comment) == ("ED25519", "me@ws")
    before = path.read_bytes()
    with pytest.raises(KeyExists) as exists:
        generate_key(KeyRequest(path))
    assert exists.value.paths == ("~/.ssh/id_ed25519", "~/.ssh/id_ed25519.pub")
    assert path.read_bytes() == before  # nothing written without the confirm
    replaced = generate_key(KeyRequest(path, kind="ecdsa", bits=384), overwrite=True)
    assert replaced.public is not None and replaced.public.kind == "ECDSA"
    assert replaced.encrypted is False and mode(path) == 0o600


def test_the_passphrase_is_needed_checked_and_never_in_repr(ssh_dir: Path) -> None:
    request = KeyRequest(ssh_dir / "k", kind="rsa", bits=2048, passphrase="hunter2 hunter2")
    assert "hunter2" not in repr(request)
    generate_key(request)
    with pytest.raises(PassphraseRequired):
        load_private_key(ssh_dir / "k")
    with pytest.raises(WrongPassphrase, match=r"wrong passphrase for ~/\.ssh/k"):
        load_private_key(ssh_dir / "k", "wrong")
    key = load_private_key(ssh_dir / "k", "hunter2 hunter2")
    assert key.get_algorithm() == "ssh-rsa"


def test_unsupported_types_and_sizes_are_refused(ssh_dir: Path) -> None:
    with pytest.raises(UnsupportedKeyType, match="choose one of ed25519, rsa, ecdsa"):
        generate_key(KeyRequest(ssh_dir / "x", kind="dsa"))
    with pytest.raises(UnsupportedKeyType, match="2048, 3072, 4096 bits, not 1024"):
        generate_key(KeyRequest(ssh_dir / "x", kind="rsa", bits=1024))
    assert list(ssh_dir.iterdir()) == []


def test_listing_describes_good_bad_and_odd_files(ssh_dir: Path) -> None:
    generate_key(KeyRequest(ssh_dir / "id_ed25519", comment="good"))
    (ssh_dir / "corrupt").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    foo = string("ssh-foo") + string(b"blob")
    (ssh_dir / "alien").write_bytes(build_plain("ssh-foo", foo, b"", "x"))
    key = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    (ssh_dir / "old_pem").write_bytes(key.export_private_key("pkcs1-pem", passphrase="pw"))
    (ssh_dir / "config").write_text("Host *\n")
    (ssh_dir / "known_hosts").write_text("garbage line\n")
    other = asyncssh.generate_private_key("ssh-ed25519")
    generate_key(KeyRequest(ssh_dir / "mismatch"))
    other.write_public_key(ssh_dir / "mismatch.pub")
    listing = list_key_files()
    keys = {k.path.name: k for k in listing.keys}
    assert sorted(keys) == ["alien", "corrupt", "id_ed25519", "mismatch", "old_pem"]
    assert keys["id_ed25519"].usable and keys["id_ed25519"].encrypted is False
    assert "bad header (corrupt file?)" in keys["corrupt"].problem
    assert "'ssh-foo' is not supported" in keys["alien"].problem
    assert keys["old_pem"].encrypted is True and keys["old_pem"].public is None
    assert "without a .pub" in keys["old_pem"].problem
    assert "mismatch.pub holds another key" in keys["mismatch"].problem
    assert listing.directory_safe


def test_unreadable_or_odd_ssh_dir_is_a_clear_error(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert list_key_files().mode is None  # no ~/.ssh yet: nothing, no error
    (isolated_home / ".ssh").write_text("not a directory")
    with pytest.raises(IdentityError, match=r"~/.ssh is not a directory"):
        list_key_files()
    (isolated_home / ".ssh").unlink()
    (isolated_home / ".ssh").mkdir()

    def denied(path: object) -> object:  # root reads everything: simulate EACCES
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(IdentityError, match=r"cannot read ~/.ssh: Permission denied.*chmod 700"):
        list_key_files()


def test_permission_plan_lists_changes_and_applies_only_what_is_confirmed(ssh_dir: Path) -> None:
    generate_key(KeyRequest(ssh_dir / "id_ed25519"))
    generate_key(KeyRequest(ssh_dir / "id_rsa", kind="rsa", bits=2048))
    os.chmod(ssh_dir, 0o755)
    os.chmod(ssh_dir / "id_ed25519", 0o644)
    os.chmod(ssh_dir / "id_rsa", 0o640)
    (ssh_dir / "config").write_text("Host *\n")
    os.chmod(ssh_dir / "config", 0o666)
    plan = plan_permission_fixes()
    assert [c.describe() for c in plan] == [
        "chmod 700 ~/.ssh  (now 755: open to group and others)",
        "chmod 600 ~/.ssh/id_ed25519  (now 644: open to group and others)",
        "chmod 600 ~/.ssh/id_rsa  (now 640: open to group)",
        "chmod 644 ~/.ssh/config  (now 666: writable to group and others)",
    ]
    assert mode(ssh_dir) == 0o755  # planning changes nothing
    os.chmod(ssh_dir / "id_rsa", 0o604)  # changed after the plan was shown: left alone
    problems = apply_permission_fixes(plan)
    assert problems == ["~/.ssh/id_rsa changed meanwhile; check again"]
    assert (mode(ssh_dir), mode(ssh_dir / "id_ed25519"), mode(ssh_dir / "config")) == (
        0o700,
        0o600,
        0o644,
    )
    assert mode(ssh_dir / "id_rsa") == 0o604
    assert [c.path.name for c in plan_permission_fixes()] == ["id_rsa"]


def test_group_writable_ssh_dir_and_key_are_fixed_too(ssh_dir: Path) -> None:
    generate_key(KeyRequest(ssh_dir / "id_ed25519"))
    os.chmod(ssh_dir, 0o730)  # group may write (add or swap keys), others get nothing
    os.chmod(ssh_dir / "id_ed25519", 0o620)  # group may write, not read
    assert [c.describe() for c in plan_permission_fixes()] == [
        "chmod 700 ~/.ssh  (now 730: open to group)",
        "chmod 600 ~/.ssh/id_ed25519  (now 620: open to group)",
    ]
    assert apply_permission_fixes(plan_permission_fixes()) == []
    assert (mode(ssh_dir), mode(ssh_dir / "id_ed25519")) == (0o700, 0o600)
    assert plan_permission_fixes() == []


def test_ppk_export_refuses_to_overwrite(ssh_dir: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    target = write_ppk_file(key, ssh_dir / "k.ppk", passphrase=None)
    assert mode(target) == 0o600
    with pytest.raises(KeyExists):
        write_ppk_file(key, target, passphrase="x")
    listing = list_key_files()
    assert [(k.path.name, k.format, k.encrypted) for k in listing.keys] == [("k.ppk", "ppk", False)]
