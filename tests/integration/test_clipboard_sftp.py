"""Remote clipboard files over SFTP against a real OpenSSH sshd: exact bytes, 0600, no leftovers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer
from tui.core.clipboard.bridge import ClipboardError, read_remote_file, write_remote_file
from tui.core.ssh.pool import SshPool

pytestmark = pytest.mark.sshd


@pytest.mark.parametrize("text", ["ascii", "日本語 🚀", "crlf\r\nline\r\n", "y" * 1_000_000])
async def test_write_then_read_is_exact(
    tmp_path: Path, pool: SshPool, sshd: SshdServer, text: str
) -> None:
    target = sshd.shared_dir() / "remote" / "clip.txt"  # the login user can write there
    target.parent.mkdir()
    shutil.chown(target.parent, sshd.user, sshd.user)
    async with pool.sftp(sshd.target()) as files:
        written = await write_remote_file(files, str(target), text)
        assert written == len(text.encode())
        assert target.read_bytes() == text.encode()
        assert target.stat().st_mode & 0o777 == 0o600
        assert await read_remote_file(files, str(target)) == text
        assert [p.name for p in target.parent.iterdir()] == ["clip.txt"]


async def test_unwritable_or_missing_paths_fail_with_a_clear_message(
    tmp_path: Path, pool: SshPool, sshd: SshdServer
) -> None:
    async with pool.sftp(sshd.target()) as files:
        with pytest.raises(ClipboardError, match=r"could not write /nonexistent/dir/clip\.txt"):
            await write_remote_file(files, "/nonexistent/dir/clip.txt", "x")
        with pytest.raises(ClipboardError, match="could not read"):
            await read_remote_file(files, str(tmp_path / "missing.txt"))
