"""Client keys in OpenSSH's order: the agent first, then key files, passphrases asked lazily.

A `KeySource` hands asyncssh one key pair at a time. A key file is only read (and its passphrase
only asked for) when its turn comes, and everything tried or skipped is recorded so an
authentication failure can say exactly what was offered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableSet, Sequence
from pathlib import Path
from typing import Protocol

import asyncssh

from tui.core.identity.errors import IdentityError, PassphraseRequired, WrongPassphrase
from tui.core.identity.keyinfo import sha256_fingerprint
from tui.core.identity.ppk import import_ppk, is_ppk


class PassphraseCallback(Protocol):
    """Asked for the passphrase of an encrypted key file; None means the user declined.

    `error` says why it is asked again ("wrong passphrase, 2 tries left"); None the first time.
    """

    def __call__(self, key_path: Path, /, error: str | None = None) -> Awaitable[str | None]: ...


PASSPHRASE_TRIES = 3
DEFAULT_KEY_NAMES = ("id_ed25519", "id_ecdsa", "id_ed25519_sk", "id_ecdsa_sk", "id_rsa", "id_dsa")

log = logging.getLogger(__name__)


def default_identity_files() -> list[Path]:
    """The default identity files under `~/.ssh` that exist, in OpenSSH's preference order."""
    ssh_dir = Path("~/.ssh").expanduser()
    return [ssh_dir / name for name in DEFAULT_KEY_NAMES if (ssh_dir / name).is_file()]


blob_fingerprint = sha256_fingerprint
"""SHA256 fingerprint of a public key blob, as OpenSSH prints it."""


def key_kind(algorithm: str) -> str:
    """OpenSSH's short name for a key algorithm: ED25519, ECDSA, RSA, ED25519-SK..."""
    name = algorithm.removeprefix("ssh-").removeprefix("sk-").split("@")[0]
    for kind in ("ed25519", "ed448", "ecdsa", "rsa", "dss"):
        if kind in name:
            suffix = "-SK" if algorithm.startswith("sk-") else ""
            return ("DSA" if kind == "dss" else kind.upper()) + suffix
    return algorithm


def _describe(keypair: asyncssh.SSHKeyPair) -> str:
    kind = key_kind(keypair.key_algorithm.decode("ascii", "replace"))
    cert = " certificate" if keypair.public_data != keypair.key_public_data else ""
    return f"{kind}{cert} {blob_fingerprint(keypair.key_public_data)}"


def _read_key_file(path: Path) -> tuple[bytes, Path | None]:
    """The private key's bytes and its OpenSSH certificate (`<key>-cert.pub`) if present."""
    cert = Path(f"{path}-cert.pub")
    return path.read_bytes(), cert if cert.is_file() else None


def _needs_passphrase(exc: Exception) -> bool:
    return "Passphrase must be specified" in str(exc)


class KeySource:
    """Yields client key pairs for one connection attempt and records what happened.

    Args:
        agent_path: The ssh-agent socket, or None to not use an agent.
        key_files: Key files in the order to try them (missing ones are skipped).
        explicit: Files named by the target or the config: a missing one is reported.
        passphrase_callback: Asked (up to 3 times) for an encrypted key's passphrase.
        identities_only: Offer only agent keys matching one of `key_files` (`IdentitiesOnly`).
        on_prompt: Called with True before a passphrase prompt and False after it (the pool
            suspends its connect timeout meanwhile).
        declined: Key files whose passphrase the user declined (shared by the pool for the
            session): they are not asked for again, and a newly declined key is added.
    """

    def __init__(
        self,
        *,
        agent_path: str | None,
        key_files: Sequence[Path],
        explicit: Sequence[Path] = (),
        passphrase_callback: PassphraseCallback | None = None,
        identities_only: bool = False,
        on_prompt: Callable[[bool], None] | None = None,
        declined: MutableSet[Path] | None = None,
    ) -> None:
        self._declined: MutableSet[Path] = set() if declined is None else declined
        self._agent_path = agent_path
        self._files = list(dict.fromkeys(key_files))
        self._explicit = set(explicit)
        self._callback = passphrase_callback
        self._identities_only = identities_only
        self._on_prompt = on_prompt
        self._agent: asyncssh.SSHAgentClient | None = None
        self._queue: list[tuple[str, asyncssh.SSHKeyPair]] = []
        self._agent_done = agent_path is None
        self._offered: set[bytes] = set()
        self.agent_note = "not used (SSH_AUTH_SOCK is not set)" if agent_path is None else ""
        """How the agent took part, for the failure message."""
        self.tried: list[str] = []
        """Keys offered to the server, e.g. "agent: ED25519 SHA256:..." or a path + fingerprint."""
        self.skipped: list[str] = []
        """Keys that could not be offered, with the reason."""

    async def next_keypair(self) -> asyncssh.SSHKeyPair | None:
        """The next key pair to offer, or None when every source is exhausted."""
        if not self._agent_done:
            self._agent_done = True
            await self._load_agent_keys()
        while True:
            while self._queue:
                origin, keypair = self._queue.pop(0)
                if keypair.public_data in self._offered:
                    continue
                self._offered.add(keypair.public_data)
                self.tried.append(f"{origin} ({_describe(keypair)})")
                return keypair
            if not self._files:
                return None
            self._queue.extend(await self._load_file(self._files.pop(0)))

    async def aclose(self) -> None:
        """Close the agent connection, if one was opened."""
        if self._agent is not None:
            self._agent.close()
            await self._agent.wait_closed()
            self._agent = None

    async def _load_agent_keys(self) -> None:
        assert self._agent_path is not None
        self._agent = asyncssh.SSHAgentClient(self._agent_path)
        try:
            keys = list(await self._agent.get_keys())
        except (OSError, ValueError) as exc:
            self.agent_note = f"unavailable at {self._agent_path} ({exc})"
            return
        if self._identities_only:
            wanted = {self._public_blob(p) for p in self._files}
            keys = [k for k in keys if k.key_public_data in wanted]
        self.agent_note = f"used ({len(keys)} key{'s' if len(keys) != 1 else ''} offered)"
        self._queue.extend(("agent", key) for key in keys)

    @staticmethod
    def _public_blob(path: Path) -> bytes | None:
        try:
            return asyncssh.read_public_key(f"{path}.pub").public_data
        except (OSError, ValueError):
            return None

    async def _load_file(self, path: Path) -> list[tuple[str, asyncssh.SSHKeyPair]]:
        try:
            data, cert = await asyncio.to_thread(_read_key_file, path)
        except FileNotFoundError:
            if path in self._explicit:
                self.skipped.append(f"{path} (file not found)")
            return []
        except OSError as exc:
            self.skipped.append(f"{path} (unreadable: {exc.strerror or exc})")
            return []
        if is_ppk(data):
            ppk_key = await self._load_ppk(path, data)
            return [] if ppk_key is None else [(str(path), asyncssh.load_keypairs([ppk_key])[0])]
        try:
            key = asyncssh.import_private_key(data)
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            if not _needs_passphrase(exc):
                self.skipped.append(f"{path} (not a usable private key: {exc})")
                return []
            decrypted = await self._decrypt(path, data)
            if decrypted is None:
                return []
            key = decrypted
        try:
            pairs = asyncssh.load_keypairs([(key, str(cert))] if cert is not None else [key])
        except (OSError, ValueError) as exc:
            self.skipped.append(f"{cert} (bad certificate: {exc})")
            pairs = asyncssh.load_keypairs([key])
        return [(str(path), pair) for pair in pairs]

    async def _load_ppk(self, path: Path, data: bytes) -> asyncssh.SSHKey | None:
        """A PuTTY `.ppk` key, its passphrase asked like any other key's."""
        try:
            return import_ppk(data)
        except PassphraseRequired:
            return await self._decrypt(path, data)
        except IdentityError as exc:
            self.skipped.append(f"{path} (not a usable PuTTY key: {exc.message})")
            return None

    async def _decrypt(self, path: Path, data: bytes) -> asyncssh.SSHKey | None:
        if self._callback is None:
            self.skipped.append(f"{path} (passphrase-protected, and there is no way to ask for it)")
            return None
        if path in self._declined:
            self.skipped.append(
                f"{path} (passphrase-protected; skipped for this session: ask again from the "
                f"keys screen)"
            )
            return None
        error: str | None = None
        for attempt in range(PASSPHRASE_TRIES):
            if attempt:
                left = PASSPHRASE_TRIES - attempt
                error = f"wrong passphrase, {left} {'try' if left == 1 else 'tries'} left"
            if self._on_prompt is not None:
                self._on_prompt(True)
            try:
                passphrase = await self._callback(path, error=error)
            finally:
                if self._on_prompt is not None:
                    self._on_prompt(False)
            if passphrase is None:
                self._declined.add(path)
                self.skipped.append(f"{path} (passphrase-protected; no passphrase given)")
                return None
            try:
                if is_ppk(data):
                    return await asyncio.to_thread(import_ppk, data, passphrase)
                return await asyncio.to_thread(asyncssh.import_private_key, data, passphrase)
            except WrongPassphrase:
                log.info("wrong passphrase for %s", path)
                continue
            except IdentityError as exc:
                self.skipped.append(f"{path} (not a usable PuTTY key: {exc.message})")
                return None
            except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
                if "bcrypt" in str(exc):
                    self.skipped.append(
                        f"{path} (OpenSSH-format encrypted key: decrypting it needs the "
                        f"'bcrypt' Python package)"
                    )
                    return None
                log.info("wrong passphrase for %s", path)
        self.skipped.append(f"{path} (wrong passphrase, {PASSPHRASE_TRIES} tries)")
        return None

    def failure_message(self, label: str) -> str:
        """Why authentication to `label` failed and how to fix it."""
        if self.tried:
            parts = [f"{label} refused every key offered. Tried: {'; '.join(self.tried)}."]
        else:
            parts = [f"No key could be offered to {label} (no agent key, no usable key file)."]
        parts.append(f"ssh-agent: {self.agent_note}.")
        if self.skipped:
            parts.append(f"Skipped: {'; '.join(self.skipped)}.")
        parts.append(
            "To fix: add your public key to ~/.ssh/authorized_keys on that host, or point the "
            "cluster at the right key (IdentityFile in ~/.ssh/config, or the provider's key "
            "setting), or load the key into ssh-agent with ssh-add."
        )
        return " ".join(parts)
