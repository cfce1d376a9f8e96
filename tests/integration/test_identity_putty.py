"""Keys made by the real `puttygen`: imported, listed, used to log in; ours load in puttygen."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.integration.sshd import SshdServer, running_sshd
from tui.core.identity.generate import KeyRequest, generate_key, write_ppk_file, write_private_key
from tui.core.identity.keyfiles import inspect_key_file, load_private_key
from tui.core.identity.ppk import import_ppk
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd


def puttygen(*args: str, passphrase: Path | None = None) -> str:
    require_binary("puttygen")
    extra = ["--old-passphrase", str(passphrase)] if passphrase else []
    done = subprocess.run(["puttygen", *args, *extra], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(path: Path, text: str) -> None:
    path.write_text(text)


def public_from_openssh(path: Path, passphrase: str) -> str:
    """`ssh-keygen -y`: the public key OpenSSH derives from a private key file."""
    require_binary("ssh-keygen")
    args = ["ssh-keygen", "-y", "-P", passphrase, "-f", str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def secret_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"pass-{len(text)}"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    """One sshd for the module (each test authorizes its own key and counts its own logins)."""
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.mark.parametrize(
    ("kind", "version", "passphrase"),
    [("ed25519", 2, ""), ("ed25519", 2, "v2 secret"), ("rsa", 3, ""), ("ecdsa", 3, "v3 secret")],
)
async def test_puttygen_keys_import_to_the_same_key_and_log_in(
    sshd: SshdServer, tmp_path: Path, kind: str, version: int, passphrase: str
) -> None:
    ppk = tmp_path / f"made-{kind}.ppk"
    new = secret_file(tmp_path, passphrase)
    size = ["-b", "2048"] if kind == "rsa" else []
    puttygen(
        "-t", kind, *size, "-C", f"putty {kind}", "-o", str(ppk),
        "--new-passphrase", str(new), "--ppk-param", f"version={version}",
    )  # fmt: skip
    assert ppk.read_text().startswith(f"PuTTY-User-Key-File-{version}: ")
    theirs = puttygen("-L", str(ppk), passphrase=new if passphrase else None).strip()
    listed = inspect_key_file(ppk)  # listed like any key, without the passphrase
    assert listed.public is not None and listed.encrypted is bool(passphrase)
    assert listed.public.openssh_line == theirs
    key = import_ppk(ppk.read_bytes(), passphrase or None)
    assert key.export_public_key().decode().strip() == theirs
    # used directly: the pool reads the .ppk (asking for its passphrase) and logs in
    write(Path(f"{ppk}.pub"), theirs + "\n")
    sshd.authorize(ppk)
    asked: list[Path] = []

    async def ask(path: Path, error: str | None = None) -> str | None:
        asked.append(path)
        return passphrase

    pool = SshPool(
        known_hosts_paths=[sshd.write_known_hosts(tmp_path / "known_hosts")],
        passphrase_callback=ask,
        use_agent=False,
    )
    try:
        async with asyncio.timeout(30):
            status, out, _ = await pool.run(sshd.target(key_path=ppk), "echo putty", timeout=10)
    finally:
        await pool.close()
    assert (status, out) == (0, "putty\n")
    assert asked == ([ppk] if passphrase else [])
    # imported as an OpenSSH key file, it works with OpenSSH's own tools too
    converted = write_private_key(key, tmp_path / "converted", passphrase=passphrase)
    assert converted.public is not None and converted.public.openssh_line == theirs
    require_binary("ssh-keygen")
    derived = public_from_openssh(tmp_path / "converted", passphrase)
    assert derived.split()[:2] == theirs.split()[:2]


@pytest.mark.parametrize(
    ("kind", "bits", "version", "passphrase"),
    [("ed25519", None, 3, "x secret"), ("rsa", 2048, 2, ""), ("ecdsa", 256, 3, "")],
)
def test_exported_ppk_loads_in_puttygen(
    tmp_path: Path, kind: str, bits: int | None, version: int, passphrase: str
) -> None:
    made = generate_key(KeyRequest(tmp_path / "ours", kind, bits, "from clusterdeck", passphrase))
    assert made.public is not None
    key = load_private_key(made.path, passphrase or None)
    out = write_ppk_file(key, tmp_path / "ours.ppk", passphrase=passphrase, version=version)
    old = secret_file(tmp_path, passphrase) if passphrase else None
    assert puttygen("-L", str(out), passphrase=old).strip() == made.public.openssh_line
    assert puttygen("-O", "public-openssh", str(out), passphrase=old).strip() == (
        made.public.openssh_line
    )
    assert made.public.fingerprint in puttygen("-l", str(out), passphrase=old)
    back = tmp_path / "back"
    args = ["-O", "private-openssh-new", "-o", str(back), str(out)]
    puttygen(*args, "--new-passphrase", str(secret_file(tmp_path, "")), passphrase=old)
    assert load_private_key(back).public_data == key.public_data
