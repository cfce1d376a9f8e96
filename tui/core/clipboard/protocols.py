"""What the clipboard flow needs from the UI around it, as small protocols (no Textual here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from tui.core.clipboard.bridge import read_remote_file, write_remote_file
from tui.core.models import Node, SshTarget
from tui.core.ssh.files import RemoteFiles as NodeFiles

Severity = Literal["information", "warning", "error"]
PasteChoice = Literal["paste", "one-line", "always"]
BridgeAction = Literal["send-shell", "send-file", "fetch-file"]


class Notify(Protocol):
    """Tells the user something (Textual's `App.notify` fits)."""

    def __call__(
        self, message: str, *, title: str = "", severity: Severity = "information"
    ) -> None: ...


class PasteTarget(Protocol):
    """A terminal that takes pasted text (`widgets.terminal.view.TerminalView` is one)."""

    @property
    def running(self) -> bool:
        """True while its session runs."""
        ...

    @property
    def bracketed_paste(self) -> bool:
        """True when the remote asked for bracketed paste (mode 2004)."""
        ...

    def paste(self, text: str) -> None:
        """Send `text` as a paste (bracketed when the remote asked for it)."""
        ...


@dataclass(frozen=True)
class Shell:
    """A shell tab: its terminal, its label (`user@node`) and its SSH target, if any."""

    terminal: PasteTarget
    label: str
    target: SshTarget | None = None


class ShellTabs(Protocol):
    """The open shells."""

    def focused(self) -> Shell | None:
        """The shell on screen (the shells screen is shown), else None."""
        ...

    def selected(self) -> Shell | None:
        """The selected tab's shell, shown or not."""
        ...

    async def show(self) -> None:
        """Bring the shells to the front."""
        ...


class RemoteFiles(Protocol):
    """Files on a node."""

    async def write(self, target: SshTarget, path: str, text: str) -> int:
        """Write `text` to `path` atomically (mode 0600); returns the bytes written."""
        ...

    async def read(self, target: SshTarget, path: str) -> str:
        """The text of `path`."""
        ...


ConfirmPaste = Callable[[str, str, str], Awaitable[PasteChoice | None]]
"""Ask before a paste: (text, why it is asked, node label) -> the choice; None cancels."""
HighlightedNode = Callable[[], Node | None]
"""The node under the dashboard's cursor, if any."""
NodeTarget = Callable[[Node], SshTarget]
"""How to reach a node over SSH (the provider's `ssh_target`)."""


class SftpSource(Protocol):
    """Opens SFTP sessions (`tui.core.ssh.SshPool` is one)."""

    def sftp(self, target: SshTarget) -> AbstractAsyncContextManager[NodeFiles]: ...


class SftpFiles:
    """`RemoteFiles` over SFTP on the pooled connection."""

    def __init__(self, pool: SftpSource) -> None:
        self.pool = pool

    async def write(self, target: SshTarget, path: str, text: str) -> int:
        async with self.pool.sftp(target) as files:
            return await write_remote_file(files, path, text)

    async def read(self, target: SshTarget, path: str) -> str:
        async with self.pool.sftp(target) as files:
            return await read_remote_file(files, path)
