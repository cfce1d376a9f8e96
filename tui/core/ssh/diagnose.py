"""Turn what asyncssh and the OS raise into errors a user understands (`tui.core.errors` tree)."""

from __future__ import annotations

import errno
import os
import pwd
import socket
from typing import TYPE_CHECKING

import asyncssh

from tui.core.errors import (
    ClusterdeckError,
    HostKeyError,
    RemoteFileError,
    SshAuthError,
    SshChannelRefused,
    SshDisconnected,
    SshError,
    SshTimeout,
    SshUnreachable,
)
from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import host_key_error

if TYPE_CHECKING:
    from tui.core.ssh.client import PoolClient
    from tui.core.ssh.resolve import ResolvedTarget

TOO_MANY_FILES = "too many open files: close some tunnels/shells or raise `ulimit -n`"
"""What running out of file descriptors (EMFILE/ENFILE) is called, wherever it happens."""


def too_many_files(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) comes from the process running out of descriptors.

    asyncssh's `Unknown local username: set one of LOGNAME, USER...` is one disguise: it is
    what `getpass.getuser()` says when it cannot open /etc/passwd, so it counts when there
    are no descriptors left now, or the user name can be looked up now after all.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in {errno.EMFILE, errno.ENFILE}:
            return True
        if isinstance(exc, ValueError) and str(exc).startswith("Unknown local username"):
            return _out_of_descriptors() or _user_name_known()
        exc = exc.__cause__ or exc.__context__
    return False


def _out_of_descriptors() -> bool:
    try:
        fd = os.open(os.devnull, os.O_RDONLY)
    except OSError as exc:
        return exc.errno in {errno.EMFILE, errno.ENFILE}
    os.close(fd)
    return False


def _user_name_known() -> bool:
    try:
        pwd.getpwuid(os.getuid())
    except (KeyError, OSError):
        return False
    return True


def connect_error(
    exc: BaseException,
    resolved: ResolvedTarget,
    *,
    client: PoolClient | None = None,
    timeout: float | None = None,
) -> ClusterdeckError:
    """The user-facing error for a failed connect to `resolved`.

    Args:
        exc: What asyncssh, asyncio or the OS raised.
        resolved: The target after the SSH config was applied.
        client: The connection's client object (knows the host key check and keys tried).
        timeout: The connect timeout in force, for the timed-out message.
    """
    if isinstance(exc, ClusterdeckError):
        return exc
    where = f"{resolved.host}:{resolved.port}"
    if too_many_files(exc):
        return SshError(f"cannot connect to {where}: {TOO_MANY_FILES}")
    via = f" (through jump host {resolved.jump})" if resolved.jump is not None else ""
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        if client is not None and client.host_key_check is not None:
            return host_key_error(client.host_key_check)
        return HostKeyError(f"the host key of {where} could not be verified: {exc.reason}")
    if isinstance(exc, asyncssh.PermissionDenied):
        if client is not None:
            return SshAuthError(client.keys.failure_message(resolved.label))
        return SshAuthError(f"{resolved.label} refused the login: {exc.reason}")
    if isinstance(exc, TimeoutError):
        secs = f" after {timeout:g} s" if timeout else ""
        return SshUnreachable(
            f"timed out{secs} connecting to {where}{via} — the host may be down, firewalled "
            f"or not reachable from this network"
        )
    if isinstance(exc, asyncssh.ChannelOpenError):
        return SshUnreachable(
            f"jump host {resolved.jump} could not open a connection to {where}: {exc.reason} "
            f"— is sshd running there?"
        )
    if isinstance(exc, socket.gaierror):
        return SshUnreachable(
            f"cannot resolve the host name {resolved.host!r} ({exc.strerror}) — check the "
            f"name, your DNS or VPN"
        )
    if isinstance(exc, ConnectionRefusedError) or (
        isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
    ):
        return SshUnreachable(f"connection refused by {where} — is sshd running there?")
    if isinstance(exc, OSError | asyncssh.DisconnectError) and client is not None:
        certs_only = _offered_only_certificates(client)
        if certs_only and not isinstance(exc, asyncssh.KeyExchangeFailed):
            return SshError(
                f"{where} and clusterdeck have no host key algorithm in common: clusterdeck "
                f"accepted only host certificates ({certs_only}) and {where} dropped the "
                f"handshake ({_reason(exc)}) — it presents no certificate; check "
                f"HostKeyAlgorithms and the @cert-authority lines for it"
            )
    if isinstance(exc, OSError):
        return SshUnreachable(f"cannot reach {where}{via}: {exc.strerror or exc}")
    if isinstance(exc, asyncssh.KeyExchangeFailed):
        return SshError(f"{where} and clusterdeck share no SSH algorithm: {exc.reason}")
    if isinstance(exc, asyncssh.DisconnectError):
        return SshDisconnected(f"{where} closed the connection during setup: {exc.reason}")
    if isinstance(exc, ValueError):
        return SshError(f"invalid SSH settings for {resolved.target}: {exc}")
    return SshError(f"cannot connect to {where}: {exc}")


def _offered_only_certificates(client: PoolClient) -> str:
    """The host key algorithms offered, when they were host certificates only (else "")."""
    offered = getattr(client.connection, "_server_host_key_algs", None) or ()
    names = [alg.decode("ascii", "replace") for alg in offered if isinstance(alg, bytes)]
    if client.host_key_check is not None or not names:
        return ""
    certificates = all("-cert-" in name or name.startswith("x509v3-") for name in names)
    return ", ".join(names) if certificates else ""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncssh.DisconnectError):
        return exc.reason or type(exc).__name__
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__


CHANNEL_CONNECTION_CLOSED = "SSH connection closed"
"""asyncssh's reason for a channel open that failed because its connection closed meanwhile."""


def lost_reason(exc: BaseException | None) -> str:
    """Why an established connection or channel ended, in words."""
    if exc is None:
        return "connection closed"
    if isinstance(exc, asyncssh.DisconnectError):
        text = exc.reason or type(exc).__name__
    elif isinstance(exc, OSError):
        text = exc.strerror or str(exc) or type(exc).__name__
    else:
        text = str(exc) or type(exc).__name__
    text = text[0].lower() + text[1:]
    return text if text.startswith("connection lost") else f"connection lost: {text}"


def disconnected_error(target: SshTarget, exc: BaseException | None) -> SshDisconnected:
    """A dropped connection as an error."""
    return SshDisconnected(f"{target}: {lost_reason(exc)}")


def command_error(
    target: SshTarget,
    exc: BaseException,
    *,
    doing: str = "a session",
    timeout: float | None = None,
) -> ClusterdeckError:
    """The user-facing error for a failed command, remote process, SFTP start or channel open.

    The one place where what asyncssh raises after connecting becomes an `SshError`.

    Args:
        target: Where the channel was (to be) opened.
        exc: What asyncssh, asyncio or the OS raised.
        doing: What was asked for, for the message: `'tail -F log'`, "SFTP", "a connection
            to db:5432".
        timeout: The time limit in force, for the timed-out message.
    """
    if isinstance(exc, ClusterdeckError):
        return exc
    if too_many_files(exc):
        return SshError(f"cannot open {doing} on {target}: {TOO_MANY_FILES}")
    if isinstance(exc, TimeoutError):  # asyncssh's TimeoutError is one too (and an OSError)
        limit = f" within {timeout:g} s" if timeout is not None else " in time"
        return SshTimeout(f"{doing} on {target} did not finish{limit}")
    if isinstance(exc, asyncssh.ChannelOpenError):
        if exc.reason == CHANNEL_CONNECTION_CLOSED:
            # not refused: the connection went away while the channel was being opened
            return SshDisconnected(f"{target}: connection lost while opening {doing}")
        kind = _REFUSAL_KINDS.get(exc.code, "other")
        return SshChannelRefused(
            f"{target} refused to open {doing}: {exc.reason}", reason=exc.reason, kind=kind
        )
    if isinstance(exc, asyncssh.DisconnectError | asyncssh.ConnectionLost | OSError):
        return disconnected_error(target, exc)
    if isinstance(exc, asyncssh.SFTPError):
        return SshError(f"SFTP on {target} failed: {exc.reason}")
    return SshError(f"{target}: {exc}")


def file_error(target: SshTarget, path: str, doing: str, exc: BaseException) -> ClusterdeckError:
    """A failed SFTP operation on `path`: `RemoteFileError` with the server's reason
    (`SshDisconnected` when the SFTP session or the connection went)."""
    if isinstance(exc, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection):
        return disconnected_error(target, exc)
    if isinstance(exc, asyncssh.SFTPError):
        reason = exc.reason or type(exc).__name__
        return RemoteFileError(
            f"cannot {doing} {path} on {target}: {reason}", path=path, reason=reason
        )
    return command_error(target, exc, doing="SFTP")


def channel_reason(exc: BaseException | None) -> str | None:
    """Why a channel closed, in the server's or the OS's words (None: closed cleanly)."""
    if exc is None:
        return None
    return str(getattr(exc, "reason", "") or exc or type(exc).__name__)


_REFUSAL_KINDS = {
    asyncssh.OPEN_CONNECT_FAILED: "connect-failed",
    asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED: "prohibited",
}
