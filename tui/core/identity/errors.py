"""Errors of the identity layer: key files, passphrases, PuTTY files, CIDR rules."""

from __future__ import annotations

from tui.core.errors import ClusterdeckError


class IdentityError(ClusterdeckError):
    """Something about a key, a key file or an access rule the user must know about."""

    title = "SSH key problem"


class KeyFormatError(IdentityError):
    """A key file is corrupt, truncated or not a key at all."""

    title = "Unreadable key file"


class UnsupportedKeyType(IdentityError):
    """A key of a type clusterdeck cannot use (or generate)."""

    title = "Unsupported key type"


class PassphraseRequired(IdentityError):
    """The key is encrypted and no passphrase was given."""

    title = "Passphrase needed"


class WrongPassphrase(IdentityError):
    """The passphrase does not decrypt the key."""

    title = "Wrong passphrase"


class KeyExists(IdentityError):
    """A key file would be overwritten; the caller must confirm first."""

    title = "Key file exists"

    def __init__(self, message: str, *, paths: tuple[str, ...]) -> None:
        super().__init__(message)
        self.paths = paths


class CidrError(IdentityError):
    """An access rule (CIDR) is not valid."""

    title = "Invalid CIDR"


class PublicAddressError(IdentityError):
    """The workstation's public address could not be learned."""

    title = "Public address unknown"
