"""One pooled SSH connection as the rest of the app uses it: commands, processes, files, forwards.

Nothing here hands out asyncssh objects, and every failure is raised as an `SshError` (the
translation lives in `diagnose.py`), so providers, tunnels and the clipboard never see asyncssh.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Generic, Literal, NamedTuple, TypeVar, overload

import asyncssh

from tui.core.errors import ClusterdeckError, SshError
from tui.core.models import SshTarget
from tui.core.ssh import forwarding
from tui.core.ssh.client import PoolClient
from tui.core.ssh.diagnose import command_error, disconnected_error
from tui.core.ssh.files import RemoteFiles
from tui.core.ssh.forwarding import (
    ChannelReceiver,
    ForwardChannel,
    LocalForward,
    ReceiverSession,
    WriteGate,
)
from tui.core.ssh.process import RemoteProcess

Output = TypeVar("Output", str, bytes)


class RunResult(NamedTuple, Generic[Output]):
    """A finished command: `(status, stdout, stderr)`, as text or as bytes."""

    status: int
    """The exit status; negative (-signal number) when a signal killed the command."""
    stdout: Output
    stderr: Output


class SshSession:
    """One open, pooled connection to `target` (get it from `SshPool.connect`).

    Closing it closes the connection for every user of the pool; the pool then opens a new
    one on the next request.
    """

    def __init__(
        self, conn: asyncssh.SSHClientConnection, target: SshTarget, client: PoolClient
    ) -> None:
        self._conn = conn
        """The asyncssh connection: for `tui.core.ssh` modules only."""
        self._client = client
        self._gate: WriteGate | None = None
        self.target = target

    # --- the connection ---------------------------------------------------------------------

    def is_closed(self) -> bool:
        """True once the connection has ended (for whatever reason)."""
        return self._conn.is_closed()

    def close(self) -> None:
        """Close the connection (the pool forgets it)."""
        self._conn.close()

    async def wait_closed(self) -> None:
        """Wait until the connection has ended."""
        await self._conn.wait_closed()

    @property
    def loss(self) -> Exception | None:
        """Why the connection ended (None while open, or when it was closed cleanly)."""
        return self._client.lost

    @property
    def cipher(self) -> str:
        """The negotiated cipher, e.g. "aes128-gcm@openssh.com"."""
        return str(self._conn.get_extra_info("send_cipher"))

    def error(
        self, exc: BaseException, doing: str, timeout: float | None = None
    ) -> ClusterdeckError:
        """`exc` (raised by asyncssh while `doing`) as the user-facing `SshError`.

        On a connection that has ended, whatever asyncssh says is a lost connection.
        """
        if self._conn.is_closed() and not isinstance(exc, TimeoutError | ClusterdeckError):
            return disconnected_error(self.target, self.loss)
        return command_error(self.target, exc, doing=doing, timeout=timeout)

    # --- commands ---------------------------------------------------------------------------

    @overload
    async def run(
        self,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-command limit, as asyncssh's
        input: str | bytes | None = None,
        binary: Literal[False] = False,
    ) -> RunResult[str]: ...

    @overload
    async def run(
        self,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        input: str | bytes | None = None,
        binary: Literal[True],
    ) -> RunResult[bytes]: ...

    async def run(
        self,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        input: str | bytes | None = None,
        binary: bool = False,
    ) -> RunResult[str] | RunResult[bytes]:
        """Run `command` to its end; its output as text (UTF-8, bad bytes replaced) or bytes.

        Args:
            command: A shell command line for the remote login shell.
            timeout: Seconds it may take; None waits for ever.
            input: Sent to its stdin (text as UTF-8), then EOF.
            binary: Return stdout and stderr as bytes.

        Raises:
            SshTimeout: it did not finish within `timeout`.
            SshDisconnected: the connection dropped.
            SshError: the session could not be opened.
        """
        data = input.encode("utf-8") if isinstance(input, str) else input
        try:
            result = await self._conn.run(
                command, check=False, timeout=timeout, input=data, encoding=None
            )
        except (asyncssh.Error, OSError) as exc:
            raise self.error(exc, repr(command), timeout) from exc
        status = result.returncode if result.returncode is not None else -1
        out, err = _as_bytes(result.stdout), _as_bytes(result.stderr)
        if binary:
            return RunResult(status, out, err)
        return RunResult(status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    async def process(self, command: str, *, merge_stderr: bool = False) -> RemoteProcess:
        """Start `command` and stream its output (`RemoteProcess.read`).

        Args:
            merge_stderr: Read stderr with stdout (else stderr is dropped).

        Raises:
            SshError: the session could not be opened.
        """
        try:
            proc = await self._conn.create_process(
                command,
                stderr=asyncssh.STDOUT if merge_stderr else asyncssh.DEVNULL,
                encoding=None,
            )
        except (asyncssh.Error, OSError) as exc:
            raise self.error(exc, repr(command)) from exc
        return RemoteProcess(proc, self, command)

    # --- files ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def sftp(self) -> AsyncIterator[RemoteFiles]:
        """An SFTP session on this connection, closed when the block ends.

        Raises:
            SshError: the server offers no SFTP or the connection dropped.
        """
        try:
            client = await self._conn.start_sftp_client()
        except (asyncssh.Error, OSError) as exc:
            raise self.error(exc, "SFTP") from exc
        try:
            yield RemoteFiles(client, self.target)
        finally:
            client.exit()

    # --- forwarding -------------------------------------------------------------------------

    async def open_channel(
        self, host: str, port: int, receiver: ChannelReceiver, *, origin: tuple[str, int] = ("", 0)
    ) -> ForwardChannel:
        """A channel to `host:port` as seen from the node (`ssh -L`/`-D` style).

        Args:
            origin: The local client's address, told to the server.

        Raises:
            SshChannelRefused: the node could not connect, or forwarding is not allowed.
            SshDisconnected: the connection dropped.
        """
        try:
            chan, _ = await self._conn.create_connection(
                lambda: ReceiverSession(receiver),
                host,
                port,
                origin[0],
                origin[1],
                window=forwarding.CHANNEL_WINDOW,
                max_pktsize=forwarding.CHANNEL_MAX_PACKET,
            )
        except (asyncssh.Error, OSError) as exc:
            raise self.error(exc, f"a connection to {host}:{port}") from exc
        return ForwardChannel(chan)

    def write_gate(self) -> WriteGate:
        """The (one) congestion gate of this connection."""
        if self._gate is None:
            gate = self._gate = WriteGate()
            self._conn.pause_writing = gate.pause  # type: ignore[method-assign]
            self._conn.resume_writing = gate.resume  # type: ignore[method-assign]
        return self._gate

    async def forward_local(
        self, listen_host: str, listen_port: int, dest_host: str, dest_port: int
    ) -> LocalForward:
        """Listen on `listen_host:listen_port` (0: any free port) and forward to `dest`.

        Raises:
            SshError: the local port cannot be bound, or the connection dropped.
        """
        try:
            listener = await self._conn.forward_local_port(
                listen_host, listen_port, dest_host, dest_port
            )
        except asyncssh.Error as exc:
            raise self.error(exc, f"a forward to {dest_host}:{dest_port}") from exc
        except OSError as exc:
            where = f"{listen_host}:{listen_port}"
            raise SshError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
        return LocalForward(listener)


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return str(data or "").encode("utf-8")
