"""File transfers against a real OpenSSH sshd: trees with odd names, resume after a cut,
checksum mismatches, permission denied and a full disk (a 1 MB tmpfs on the server side)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.integration.sshd import SshdServer
from tui.core.errors import RemoteFileError
from tui.core.ssh.handle import Pipeline
from tui.core.ssh.pool import SshPool
from tui.core.transfers import (
    ChecksumMismatch,
    Conflict,
    Direction,
    Transfer,
    TransferManager,
    TransferSpec,
    TransferState,
)
from tui.core.transfers.paths import PART_SUFFIX

pytestmark = pytest.mark.sshd

FULL = bool(os.environ.get("CLUSTERDECK_FILES_FULL"))
BIG = (200 if FULL else 24) * 1024 * 1024
SLOW = Pipeline(block_size=32 * 1024, max_requests=2)
"""A pipeline slow enough that a test can act while the bytes flow."""

ODD = [
    "plain.txt",
    "with space.dat",
    "ünïcödé ✓.txt",
    "new\nline",
    "-starts-with-dash",
    "back\\slash",
    "quote'n\"double",
    ".hidden",
    "tab\there",
    "日本語",
]


def own(path: Path, server: SshdServer) -> Path:
    """Hand `path` (and everything below) to the login user."""
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            shutil.chown(os.path.join(root, name), server.user, server.user)
    shutil.chown(path, server.user, server.user)
    return path


def make_tree(root: Path, count: int) -> None:
    """`count` files over a few levels of folders, with the odd names, sizes 0 to ~70 KB."""
    for index in range(count):
        depth = index % 4
        folder = root.joinpath(*[f"dir {d} {ODD[(index + d) % len(ODD)]}" for d in range(depth)])
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{index:03d} {ODD[index % len(ODD)]}"
        (folder / name).write_bytes(os.urandom((index * 237) % 70_000))


def tree(root: Path) -> dict[str, bytes]:
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def remote(sshd: SshdServer) -> Path:
    return sshd.shared_dir()


@pytest.fixture
def manager(pool: SshPool) -> Iterator[TransferManager]:
    yield TransferManager(pool, conflict=Conflict.OVERWRITE)


async def finish(manager: TransferManager, spec: TransferSpec) -> Transfer:
    transfer = manager.start(spec)
    async with asyncio.timeout(120):
        await manager.wait(transfer)
    return transfer


async def test_a_tree_of_300_odd_names_goes_up_and_down_byte_identical(
    tmp_path: Path, sshd: SshdServer, remote: Path, manager: TransferManager
) -> None:
    source = tmp_path / "source tree"
    make_tree(source, 300)
    target = sshd.target()
    up = await finish(manager, TransferSpec(Direction.UP, target, str(remote), source))
    assert up.state is TransferState.DONE, up.error
    assert up.outcome is not None and up.outcome.copied == 300
    assert up.outcome.verified == "sha256"
    assert tree(remote / "source tree") == tree(source)
    assert not [p for p in (remote / "source tree").rglob(f"*{PART_SUFFIX}")]

    down_dir = tmp_path / "down"
    down_dir.mkdir()
    spec = TransferSpec(Direction.DOWN, target, str(remote / "source tree"), down_dir)
    down = await finish(manager, spec)
    assert down.state is TransferState.DONE, down.error
    assert down.progress.files_done == 300
    assert tree(down_dir / "source tree") == tree(source)


@pytest.mark.parametrize("direction", [Direction.DOWN, Direction.UP])
async def test_a_cut_connection_resumes_to_a_matching_sha256(
    tmp_path: Path, sshd: SshdServer, remote: Path, pool: SshPool, direction: Direction
) -> None:
    local = tmp_path / "big.bin"
    far = remote / "big.bin"
    data = os.urandom(BIG)
    (far if direction is Direction.DOWN else local).write_bytes(data)
    own(remote, sshd)
    manager = TransferManager(pool, pipeline=SLOW, conflict=Conflict.OVERWRITE)
    spec = TransferSpec(direction, sshd.target(), str(far), local)
    transfer = manager.start(spec)
    await wait_until(lambda: transfer.progress.done > BIG // 4, within=60, what="a quarter")
    await asyncio.to_thread(sshd.stop)
    await wait_until(
        lambda: "retrying" in transfer.note or transfer.state.is_over, within=30, what="a retry"
    )
    assert not transfer.state.is_over, transfer.error
    await asyncio.to_thread(sshd.start)
    async with asyncio.timeout(300):
        await manager.wait(transfer)
    assert transfer.state is TransferState.DONE, transfer.error
    assert transfer.attempts >= 2
    assert transfer.progress.resumed_from >= BIG // 8  # not sent again
    expected = hashlib.sha256(data).hexdigest()
    assert sha(local) == expected and sha(far) == expected


async def test_a_file_changed_remotely_mid_transfer_is_a_checksum_mismatch(
    tmp_path: Path, sshd: SshdServer, remote: Path, pool: SshPool
) -> None:
    far = remote / "moving.bin"
    far.write_bytes(os.urandom(20 * 1024 * 1024))
    own(remote, sshd)
    stamp = far.stat()
    manager = TransferManager(pool, pipeline=SLOW)
    into = tmp_path / "into"
    into.mkdir()
    transfer = manager.start(TransferSpec(Direction.DOWN, sshd.target(), str(far), into))
    await wait_until(lambda: transfer.progress.done > 2 * 1024 * 1024, what="2 MB")
    with far.open("r+b") as changed:  # same size, same mtime: only the bytes differ
        changed.write(b"\0" * 1024 * 1024)
    os.utime(far, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    await manager.wait(transfer)
    assert transfer.state is TransferState.FAILED
    assert isinstance(transfer.error, ChecksumMismatch)
    assert "SHA-256" in transfer.error.message and "moving.bin" in transfer.error.message
    assert list(into.iterdir()) == []  # no file, no partial file


async def test_permission_denied_both_ways_is_a_clear_error(
    tmp_path: Path, sshd: SshdServer, remote: Path, manager: TransferManager
) -> None:
    locked = remote / "locked"
    locked.mkdir()
    (remote / "secret").write_bytes(b"root only")
    own(remote, sshd)
    shutil.chown(remote / "secret", "root", "root")
    (remote / "secret").chmod(0o600)
    locked.chmod(0o500)
    source = tmp_path / "up.txt"
    source.write_bytes(b"x" * 1000)
    target = sshd.target()
    up = await finish(manager, TransferSpec(Direction.UP, target, str(locked), source))
    assert up.state is TransferState.FAILED
    assert isinstance(up.error, RemoteFileError)
    assert "Permission denied" in up.error.message and "locked" in up.error.message
    down = await finish(
        manager, TransferSpec(Direction.DOWN, target, str(remote / "secret"), tmp_path)
    )
    assert down.state is TransferState.FAILED
    assert down.error is not None and "Permission denied" in down.error.message


@pytest.fixture
def small_disk(remote: Path, sshd: SshdServer) -> Iterator[Path]:
    mount = remote / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    own(mount, sshd)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_remote_disk_says_so(
    tmp_path: Path, sshd: SshdServer, small_disk: Path, manager: TransferManager
) -> None:
    source = tmp_path / "three-mb.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024))
    spec = TransferSpec(Direction.UP, sshd.target(), str(small_disk), source)
    up = await finish(manager, spec)
    assert up.state is TransferState.FAILED
    assert up.error is not None and "no space left" in up.error.message, up.error
    assert "needed" in up.error.message


async def test_conflicts_skip_rename_and_the_same_for_all(
    tmp_path: Path, sshd: SshdServer, remote: Path, pool: SshPool
) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (remote / name).write_bytes(f"remote {name}".encode())
        (tmp_path / name).write_bytes(b"local")
    own(remote, sshd)
    asked: list[str] = []

    async def ask(path: str) -> tuple[Conflict, bool]:
        asked.append(path)
        return Conflict.RENAME, True

    manager = TransferManager(pool, ask=ask)
    target = sshd.target()
    for name in ("a.txt", "b.txt"):
        spec = TransferSpec(Direction.DOWN, target, str(remote / name), tmp_path)
        done = await finish(manager, spec)
        assert done.state is TransferState.DONE, done.error
    assert (tmp_path / "a (1).txt").read_bytes() == b"remote a.txt"
    assert (tmp_path / "a.txt").read_bytes() == b"local"
    assert len(asked) == 2  # "same for all" holds within one transfer
    skip = TransferManager(pool, conflict=Conflict.SKIP)
    spec = TransferSpec(Direction.DOWN, target, str(remote / "c.txt"), tmp_path)
    skipped = await finish(skip, spec)
    assert skipped.state is TransferState.SKIPPED
    assert (tmp_path / "c.txt").read_bytes() == b"local"


async def test_cancel_keeps_the_partial_file_and_retry_resumes_it(
    tmp_path: Path, sshd: SshdServer, remote: Path, pool: SshPool
) -> None:
    far = remote / "slow.bin"
    data = os.urandom(8 * 1024 * 1024)
    far.write_bytes(data)
    own(remote, sshd)
    into = tmp_path / "into"
    into.mkdir()
    manager = TransferManager(pool, pipeline=SLOW)
    events: list[TransferState] = []
    manager.subscribe(lambda t: events.append(t.state))
    transfer = manager.start(TransferSpec(Direction.DOWN, sshd.target(), str(far), into))
    await wait_until(lambda: transfer.progress.done > 1024 * 1024, what="1 MB")
    assert manager.cancel(transfer)
    await manager.wait(transfer)
    assert transfer.state.value == "cancelled"
    assert [p.name for p in into.iterdir()] == [".slow.bin.clusterdeck-part"]
    assert manager.retry(transfer)
    await manager.wait(transfer)
    assert transfer.state is TransferState.DONE, transfer.error
    assert transfer.progress.resumed_from > 1024 * 1024
    assert (into / "slow.bin").read_bytes() == data
    assert TransferState.RUNNING in events and events[-1] is TransferState.DONE
    assert transfer.progress.rate > 0
