"""asyncssh's side of one pooled connection: the client object and the connect call itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncssh
from asyncssh.public_key import get_default_certificate_algs, get_default_public_key_algs

from tui.core.ssh.auth import KeySource
from tui.core.ssh.coalesce import coalesce_sends
from tui.core.ssh.hostkeys import (
    HostKeyCheck,
    HostKeyStatus,
    KnownHostEntry,
    check_host_key,
    trusted_keys,
)
from tui.core.ssh.resolve import ResolvedTarget

PREFERRED_CIPHER = "aes128-gcm@openssh.com"
"""Fastest asyncssh cipher here (see shared/reference/ssh-performance.md); others stay fallbacks."""


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


def _host_key_algs(entries: Sequence[KnownHostEntry]) -> Sequence[str] | tuple[()]:
    """Known key types first, then every other default (asyncssh alone would allow only those).

    OpenSSH prefers the types it already knows for a host but still accepts others, so a host
    that only offers a new type shows up as "unknown", not as a failed key exchange. With an
    `@cert-authority` line for the host, certificates come first; asyncssh alone would then
    offer certificates only, and a plain-key host would fail the handshake instead of being
    asked about.
    """
    certs = get_default_certificate_algs()
    has_ca = any(e.marker == "cert-authority" for e in entries)
    known = (certs if has_ca else []) + [
        alg for key in trusted_keys(entries) for alg in key.sig_algorithms
    ]
    if not known:
        return ()
    rest = certs + get_default_public_key_algs()
    return [alg.decode("ascii") for alg in dict.fromkeys(known + rest)]


async def open_connection(
    resolved: ResolvedTarget,
    client: PoolClient,
    tunnel: asyncssh.SSHClientConnection | None,
    *,
    keepalive_interval: float,
    keepalive_count_max: int,
) -> asyncssh.SSHClientConnection:
    """Connect to `resolved` with `client` checking host keys (its `entries`) and giving keys."""
    target, entries = resolved.target, client.entries
    trusted = trusted_keys(entries)
    cas = [e.key for e in entries if e.marker == "cert-authority"]
    revoked = [e.key for e in entries if e.marker == "revoked"]
    extra: dict[str, object] = {}
    if not resolved.config_ciphers:
        extra["encryption_algs"] = f"^{PREFERRED_CIPHER}"
    host_key_algs = _host_key_algs(entries)
    if host_key_algs:
        extra["server_host_key_algs"] = host_key_algs
    conn = await asyncssh.connect(
        target.host,
        port=target.port if target.port != 22 else (),
        username=target.user if target.user else (),
        tunnel=tunnel,
        config=[str(p) for p in resolved.config_paths] if resolved.config_paths else None,
        client_factory=lambda: client,
        known_hosts=(trusted, cas, revoked, [], [], [], []),
        client_keys=None,
        connect_timeout=None,
        keepalive_interval=keepalive_interval,
        keepalive_count_max=keepalive_count_max,
        **extra,
    )
    coalesce_sends(conn)
    return conn
