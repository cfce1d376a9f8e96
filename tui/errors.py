"""One exception tree for everything a user can be told about.

Every error carries a short `title` (for a notification heading) and a `message` that says what
went wrong and, where possible, what to do about it.
"""

from __future__ import annotations


class ClusterdeckError(Exception):
    """Base of every error clusterdeck reports to the user."""

    title = "clusterdeck error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(ClusterdeckError):
    """The configuration file is unreadable, malformed or holds a bad value."""

    title = "Configuration error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")


class StateDirError(ClusterdeckError):
    """The state directory (keys, known hosts) cannot be created or written."""

    title = "State directory not writable"


class ProviderError(ClusterdeckError):
    """A provider failed to list jobs, nodes or logs."""

    title = "Provider error"


class ProviderAuthError(ProviderError):
    """The provider rejected our credentials."""

    title = "Provider authentication failed"


class ProviderUnavailable(ProviderError):
    """The provider cannot be reached or is not ready."""

    title = "Provider unavailable"


class SshError(ClusterdeckError):
    """An SSH connection or channel failed."""

    title = "SSH error"


class HostKeyError(SshError):
    """A host key is unknown or has changed."""

    title = "Host key not trusted"


class TunnelError(ClusterdeckError):
    """A port forward could not be opened or broke."""

    title = "Tunnel error"
