"""Keys against the real OpenSSH: `ssh-keygen -lv` pictures, `ssh-keygen -y`, logins to sshd."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.integration.sshd import SshdServer, keygen, running_sshd
from tui.core.identity.generate import KeyRequest, generate_key
from tui.core.identity.keyfiles import inspect_key_file
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd


def ssh_keygen(*args: str) -> str:
    require_binary("ssh-keygen")
    done = subprocess.run(["ssh-keygen", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    """One sshd for the module (each test authorizes its own key and counts its own logins)."""
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.mark.parametrize(
    ("kind", "bits"), [("ed25519", ""), ("rsa", "2048"), ("ecdsa", "256"), ("ecdsa", "521")]
)
def test_fingerprint_and_randomart_equal_ssh_keygen(tmp_path: Path, kind: str, bits: str) -> None:
    require_binary("ssh-keygen")
    path = tmp_path / f"id_{kind}"
    args = ["-q", "-t", kind, "-N", "pw", "-C", f"{kind} test", "-f", str(path)]
    ssh_keygen(*args, *(["-b", bits] if bits else []))
    listed = inspect_key_file(path)  # encrypted: described without the passphrase
    assert listed.encrypted is True and listed.public is not None
    expected = ssh_keygen("-lv", "-f", f"{path}.pub").rstrip("\n")
    assert listed.public.report() == expected
    Path(f"{path}.pub").unlink()  # the private file alone (public part of the container)
    alone = inspect_key_file(path).public
    assert alone is not None
    assert alone.randomart() == listed.public.randomart()
    assert alone.fingerprint == listed.public.fingerprint


@pytest.mark.parametrize(
    ("kind", "bits", "passphrase"),
    [
        ("ed25519", None, ""),
        ("ed25519", None, "open sesame"),
        ("rsa", 2048, "pw rsa"),
        ("ecdsa", 384, ""),
    ],
)
async def test_generated_keys_load_in_ssh_keygen_and_log_in(
    sshd: SshdServer, tmp_path: Path, kind: str, bits: int | None, passphrase: str
) -> None:
    path = tmp_path / "keys" / f"made_{kind}"
    made = await asyncio.to_thread(
        generate_key, KeyRequest(path, kind, bits, "made here", passphrase)
    )
    assert made.public is not None
    derived = ssh_keygen("-y", "-P", passphrase, "-f", str(path)).split()
    assert " ".join(derived[:2]) == made.public.openssh_line.rsplit(" ", 2)[0]
    sshd.authorize(path)
    logins = sshd.accepted_logins()
    asked: list[str] = []
    answers = iter(["wrong guess", passphrase])

    async def ask(key_path: Path, error: str | None = None) -> str | None:
        asked.append(str(key_path))
        return next(answers)

    pool = SshPool(
        known_hosts_paths=[sshd.write_known_hosts(tmp_path / "known_hosts")],
        passphrase_callback=ask,
        use_agent=False,
    )
    try:
        async with asyncio.timeout(30):
            result = await pool.run(sshd.target(key_path=path), "echo in", timeout=10)
    finally:
        await pool.close()
    assert result == (0, "in\n", "")
    # a protected key: the wrong passphrase was refused and the user asked again
    assert asked == ([str(path)] * 2 if passphrase else [])
    assert sshd.accepted_logins() == logins + 1


def test_ssh_keygen_made_keys_are_listed_like_ours(tmp_path: Path) -> None:
    key = keygen(tmp_path / "theirs", kind="ecdsa", passphrase="secret", fmt="PEM")
    listed = inspect_key_file(key)
    assert (listed.format, listed.encrypted) == ("pem", True)
    assert listed.public is not None
    assert listed.public.fingerprint in ssh_keygen("-lf", f"{key}.pub")
