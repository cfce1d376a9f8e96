"""A base for providers that run their commands over SSH (Slurm, inventory)."""

from __future__ import annotations

from pathlib import Path

from tui.core.providers.base import Provider
from tui.core.ssh.pool import SshPool


class SshBasedProvider(Provider):
    """Runs commands through the app's SSH pool, or through its own when given none.

    Args:
        pool: The shared pool (`ProviderContext.pool`); it is left to its owner on `close()`.
        known_hosts_path: The app's known_hosts file, trusted by a pool of the provider's own.
    """

    def __init__(self, pool: SshPool | None, known_hosts_path: Path | None) -> None:
        self._own_pool = pool is None
        if pool is None:
            paths = [Path.home() / ".ssh" / "known_hosts"]
            if known_hosts_path is not None:
                paths.append(known_hosts_path)
            pool = SshPool(known_hosts_paths=paths)
        self.pool = pool
        """Where SSH connections come from."""

    async def close(self) -> None:
        """Close the provider's own SSH pool (a shared pool is left to its owner)."""
        if self._own_pool:
            await self.pool.close()
