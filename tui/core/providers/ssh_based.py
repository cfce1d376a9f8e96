"""A base for providers that run their commands over SSH (Slurm, inventory)."""

from __future__ import annotations

from pathlib import Path

from tui.core.providers.base import Provider
from tui.core.ssh.pool import SshPool


class SshBasedProvider(Provider):
    """Uses the app's SSH pool when given one (`use_pool`), else opens and closes its own."""

    _pool: SshPool | None = None
    _own_pool: bool = True
    _known_hosts: Path | None = None

    @property
    def pool(self) -> SshPool:
        """The SSH pool in use (the provider's own unless `use_pool()` gave one)."""
        if self._pool is None:
            paths = [Path.home() / ".ssh" / "known_hosts"]
            if self._known_hosts is not None:
                paths.append(self._known_hosts)
            self._pool = SshPool(known_hosts_paths=paths)
            self._own_pool = True
        return self._pool

    def use_pool(self, pool: SshPool) -> None:
        """Share the app's pool (its passphrase prompt and host-key trust); before `start()`."""
        self._pool = pool
        self._own_pool = False

    async def close(self) -> None:
        """Close the provider's own SSH pool (a shared pool is left to its owner)."""
        if self._own_pool and self._pool is not None:
            await self._pool.close()
            self._pool = None
