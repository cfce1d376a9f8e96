"""A remote process streaming its output (log follows), with typed reads and a clean close."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

import asyncssh

from tui.core.ssh.diagnose import disconnected_error

if TYPE_CHECKING:
    from tui.core.ssh.session import SshSession

READ_CHUNK = 256 * 1024
"""Default most bytes returned by one `RemoteProcess.read()`."""


@dataclass(frozen=True)
class ProcessEnd:
    """How a remote process ended: an exit status, a signal, or neither (the channel closed)."""

    status: int | None = None
    signal: str | None = None


class RemoteProcess:
    """A command running on a node; its stdout (and stderr when merged) read as bytes.

    Made by `SshSession.process` / `SshPool.process`; use it as an async context manager or
    call `close()`.
    """

    def __init__(
        self, proc: asyncssh.SSHClientProcess[bytes], session: SshSession, command: str
    ) -> None:
        self._proc = proc
        self._session = session
        self.target = session.target
        self.command = command

    async def read(self, size: int = READ_CHUNK) -> bytes:
        """Up to `size` bytes of output as they arrive; `b""` once the output has ended.

        Raises:
            SshDisconnected: the connection dropped.
            SshError: the channel failed otherwise.
        """
        try:
            return await self._proc.stdout.read(size)
        except (asyncssh.Error, OSError) as exc:
            raise self._session.error(exc, repr(self.command)) from exc

    async def finish(self, *, grace: float = 5.0) -> ProcessEnd:
        """Wait (up to `grace` s) for the exit status once the output has ended.

        Raises:
            SshDisconnected: the connection dropped instead of the process exiting.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._proc.wait_closed()
        status, signal = self._proc.exit_status, self._proc.exit_signal
        if status is None and signal is None and self._session.is_closed():
            raise disconnected_error(self.target, self._session.loss)
        return ProcessEnd(status, signal[0] if signal is not None else None)

    def close(self) -> None:
        """Stop reading and close the channel (the remote command gets EOF / SIGHUP)."""
        self._proc.close()

    async def __aenter__(self) -> RemoteProcess:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
