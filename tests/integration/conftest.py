"""Fixtures shared by the integration tests."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.sshd import SshdServer, running_sshd
from tests.snapshots.conftest import save_screenshot  # noqa: F401 - fixture
from tui.core.ssh.pool import SshPool


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    """A private OpenSSH sshd for one test (modules with a wider one define their own)."""
    with running_sshd(tmp_path / "sshd") as server:
        yield server


@pytest.fixture
async def pool(tmp_path: Path, sshd: SshdServer) -> AsyncIterator[SshPool]:
    """A pool that trusts `sshd`'s host key, without the user's agent."""
    pool = SshPool(
        known_hosts_paths=[sshd.write_known_hosts(tmp_path / "known_hosts")], use_agent=False
    )
    yield pool
    await pool.close()
