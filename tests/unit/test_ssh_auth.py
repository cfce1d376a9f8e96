"""KeySource: OpenSSH's key order, lazy passphrases, and what the failure message says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import asyncssh

from tests.conftest import require_binary
from tui.core.ssh.auth import KeySource, blob_fingerprint, default_identity_files


def _key(path: Path, alg: str = "ssh-ed25519", passphrase: str | None = None) -> Path:
    key = asyncssh.generate_private_key(alg)
    fmt = "pkcs8-pem" if passphrase else "openssh"
    key.write_private_key(path, format_name=fmt, passphrase=passphrase)
    key.write_public_key(f"{path}.pub")
    return path


def _fp(path: Path) -> str:
    return asyncssh.read_public_key(f"{path}.pub").get_fingerprint("sha256")


async def _drain(source: KeySource) -> list[asyncssh.SSHKeyPair]:
    pairs = []
    while (pair := await source.next_keypair()) is not None:
        pairs.append(pair)
    return pairs


async def test_explicit_key_then_defaults_in_openssh_order(
    tmp_path: Path, isolated_home: Path
) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir()
    rsa_like = _key(ssh_dir / "id_ecdsa", "ecdsa-sha2-nistp256")
    ed = _key(ssh_dir / "id_ed25519")
    explicit = _key(tmp_path / "cluster_key")
    assert default_identity_files() == [ed, rsa_like]

    source = KeySource(agent_path=None, key_files=[explicit, *default_identity_files()])
    pairs = await _drain(source)
    assert [blob_fingerprint(p.key_public_data) for p in pairs] == [
        _fp(explicit),
        _fp(ed),
        _fp(rsa_like),
    ]
    assert source.tried[0] == f"{explicit} (ED25519 {_fp(explicit)})"
    assert source.agent_note.startswith("not used")


async def test_the_same_key_is_offered_once_and_missing_explicit_keys_are_noted(
    tmp_path: Path,
) -> None:
    key = _key(tmp_path / "k")
    copy = tmp_path / "copy"
    shutil.copy(key, copy)
    missing = tmp_path / "nope"
    source = KeySource(agent_path=None, key_files=[key, copy, missing], explicit=[missing])
    assert len(await _drain(source)) == 1
    assert source.skipped == [f"{missing} (file not found)"]


async def test_passphrase_is_asked_lazily_up_to_three_times(tmp_path: Path) -> None:
    plain = _key(tmp_path / "plain")
    locked = _key(tmp_path / "locked", "ecdsa-sha2-nistp256", passphrase="right")
    asked: list[Path] = []
    prompts: list[bool] = []

    async def wrong(path: Path, error: str | None = None) -> str | None:
        asked.append(path)
        return "wrong"

    source = KeySource(
        agent_path=None,
        key_files=[plain, locked],
        passphrase_callback=wrong,
        on_prompt=prompts.append,
    )
    assert await source.next_keypair() is not None
    assert asked == []  # the plain key comes first; no prompt before the locked key's turn
    assert await source.next_keypair() is None
    assert asked == [locked] * 3
    assert prompts == [True, False] * 3
    assert source.skipped == [f"{locked} (wrong passphrase, 3 tries)"]


async def test_a_declined_passphrase_stops_asking(tmp_path: Path) -> None:
    locked = _key(tmp_path / "locked", "ecdsa-sha2-nistp256", passphrase="right")
    asked: list[Path] = []

    async def decline(path: Path, error: str | None = None) -> str | None:
        asked.append(path)
        return None

    source = KeySource(agent_path=None, key_files=[locked], passphrase_callback=decline)
    assert await _drain(source) == []
    assert asked == [locked]
    assert "no passphrase given" in source.skipped[0]


def _openssh_format_locked_key(path: Path, passphrase: str) -> Path:
    """ssh-keygen's default format (asyncssh can only write it with bcrypt installed)."""
    require_binary("ssh-keygen")  # fails in CI, skips elsewhere
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


async def test_openssh_format_encrypted_key_decrypts_or_explains_bcrypt(tmp_path: Path) -> None:
    path = _openssh_format_locked_key(tmp_path / "modern", "pw")

    async def answer(_: Path, error: str | None = None) -> str | None:
        return "pw"

    source = KeySource(agent_path=None, key_files=[path], passphrase_callback=answer)
    pairs = await _drain(source)
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        assert pairs == [] and "needs the 'bcrypt' Python package" in source.skipped[0]
    else:
        assert [blob_fingerprint(p.key_public_data) for p in pairs] == [_fp(path)]


async def test_an_unreachable_agent_is_reported_and_files_still_used(tmp_path: Path) -> None:
    key = _key(tmp_path / "k")
    source = KeySource(agent_path=str(tmp_path / "no-agent.sock"), key_files=[key])
    assert len(await _drain(source)) == 1
    await source.aclose()
    assert source.agent_note.startswith(f"unavailable at {tmp_path / 'no-agent.sock'}")


async def test_failure_message_lists_tried_skipped_agent_and_a_fix(tmp_path: Path) -> None:
    key = _key(tmp_path / "k")
    locked = _key(tmp_path / "locked", "ecdsa-sha2-nistp256", passphrase="x")
    source = KeySource(agent_path=None, key_files=[key, locked])
    await _drain(source)
    message = source.failure_message("alice@node:22")
    assert message.startswith("alice@node:22 refused every key offered. Tried: ")
    assert f"{key} (ED25519 {_fp(key)})" in message
    assert f"Skipped: {locked} (passphrase-protected" in message
    assert "ssh-agent: not used (SSH_AUTH_SOCK is not set)" in message
    assert "authorized_keys" in message and "ssh-add" in message
