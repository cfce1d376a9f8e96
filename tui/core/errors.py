"""One exception tree for everything a user can be told about.

Every error carries a short `title` (for a notification heading) and a `message` that says what
went wrong and, where possible, what to do about it. Both are made inert
(`tui.core.printable.inert`): an error body, an API answer or an SSH message quoted in one shows
its control and format characters as escapes (ESC as `\\x1b`) wherever the error is shown or
printed. Attributes that identify things (`host`, `port`, paths) are kept as they are.
"""

from __future__ import annotations

from tui.core.printable import inert, inert_lines


class ClusterdeckError(Exception):
    """Base of every error clusterdeck reports to the user."""

    title = "clusterdeck error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        self.message = message
        super().__init__(self.message)
        if title is not None:
            self.title = inert(title)

    @property
    def message(self) -> str:
        """What went wrong, inert (also when a handler rewrites it)."""
        return self._message

    @message.setter
    def message(self, text: str) -> None:
        self._message = inert_lines(text)

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


class SshUnreachable(SshError):
    """The SSH server could not be reached: refused, timed out, unknown name, no route."""

    title = "SSH host unreachable"


class SshAuthError(SshError):
    """The SSH server refused every key (and agent key) offered."""

    title = "SSH authentication failed"


class SshDisconnected(SshError):
    """An SSH connection dropped or was closed by the server."""

    title = "SSH connection lost"


class SshTimeout(SshError):
    """A remote command did not finish in the time allowed."""

    title = "Timeout"


class SshChannelRefused(SshError):
    """The server would not open a channel: a session, or a connection to `host:port`.

    `reason` is the server's own words; `kind` is "connect-failed" (the node could not reach
    the destination), "prohibited" (forwarding is not allowed) or "other".
    """

    title = "SSH channel refused"

    def __init__(self, message: str, *, reason: str, kind: str = "other") -> None:
        super().__init__(message)
        self.reason = reason
        self.kind = kind


class RemoteFileError(SshError):
    """An SFTP operation on a remote file failed (`reason`: the server's words)."""

    title = "Remote file error"

    def __init__(self, message: str, *, path: str, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


class PresentedHostKey(HostKeyError):
    """A host key error about the key a server presented (shown in the trust dialogs)."""

    def __init__(
        self,
        message: str,
        *,
        host: str,
        port: int,
        key_type: str,
        fingerprint: str,
        public_key: str,
    ) -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.public_key = public_key


class HostKeyUnknown(PresentedHostKey):
    """The server's host key is in no known_hosts file: the host is not trusted yet.

    The attributes let a trust dialog show the key and record it (`public_key` is the key in
    OpenSSH one-line format, e.g. "ssh-ed25519 AAAA...").
    """

    title = "Unknown host key"


class HostKeyChanged(PresentedHostKey):
    """A known_hosts entry for the host holds a different key: possible man-in-the-middle."""

    title = "HOST KEY CHANGED"

    def __init__(
        self,
        message: str,
        *,
        host: str,
        port: int,
        key_type: str,
        fingerprint: str,
        public_key: str,
        known_hosts_path: str,
        line: int,
    ) -> None:
        super().__init__(
            message,
            host=host,
            port=port,
            key_type=key_type,
            fingerprint=fingerprint,
            public_key=public_key,
        )
        self.known_hosts_path = known_hosts_path
        self.line = line


def as_user_error(exc: BaseException, *, title: str = "Unexpected error") -> ClusterdeckError:
    """`exc` itself when it is ours; otherwise wrapped so the user sees a message, not a crash."""
    if isinstance(exc, ClusterdeckError):
        return exc
    detail = str(exc) or type(exc).__name__
    return ClusterdeckError(f"{detail} ({type(exc).__name__})", title=title)
