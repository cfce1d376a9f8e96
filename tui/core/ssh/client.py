"""The asyncssh client object of one pooled connection: host key check, keys, loss notice."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncssh

from tui.core.ssh.auth import KeySource
from tui.core.ssh.hostkeys import HostKeyCheck, HostKeyStatus, KnownHostEntry, check_host_key


class PoolClient(asyncssh.SSHClient):
    """Checks the host key against our known_hosts entries and offers keys from a `KeySource`.

    asyncssh trusts the keys passed as `known_hosts` by itself and calls
    `validate_host_public_key` only for any other key: that is where unknown and changed keys
    are told apart (asyncssh alone reports both as one `HostKeyNotVerifiable`).

    Args:
        keys: Where client keys come from.
        entries: The known_hosts entries matching the host (see `hostkeys.entries_for`).
        on_lost: Called once with (client, exception or None) when the connection ends.
    """

    def __init__(
        self,
        *,
        keys: KeySource,
        entries: Sequence[KnownHostEntry],
        on_lost: Callable[[PoolClient, Exception | None], None] | None = None,
    ) -> None:
        self.keys = keys
        self.entries = tuple(entries)
        self.host_key_check: HostKeyCheck | None = None
        """Set when the server presented a key not in known_hosts."""
        self.connection: asyncssh.SSHClientConnection | None = None
        self.lost: Exception | None = None
        self.closed = False
        self.authenticated = False
        self._on_lost = on_lost

    def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
        """Remember the connection this client belongs to."""
        self.connection = conn

    def connection_lost(self, exc: Exception | None) -> None:
        """Record why the connection ended and tell the pool."""
        self.lost = exc
        self.closed = True
        if self._on_lost is not None:
            self._on_lost(self, exc)

    def auth_completed(self) -> None:
        """Authentication succeeded."""
        self.authenticated = True

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        """Classify a key asyncssh did not find among the trusted ones."""
        check = check_host_key(self.entries, host, port, key)
        self.host_key_check = check
        return check.status is HostKeyStatus.TRUSTED

    def public_key_auth_supported(self) -> bool:
        """Keys come lazily from `public_key_auth_requested`."""
        return True

    async def public_key_auth_requested(self) -> asyncssh.SSHKeyPair | None:
        """The next key to offer (agent keys first, then key files)."""
        return await self.keys.next_keypair()
