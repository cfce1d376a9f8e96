"""What the clipboard hotkeys and the bridge screen do, on behalf of the app."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tui.app.screens.clipboard.screen import (
    ClipboardScreen,
    PasteChoice,
    PasteConfirmDialog,
    human_size,
)
from tui.core.clipboard.bridge import (
    ClipboardBridge,
    ClipboardError,
    needs_confirm,
    one_line,
    read_remote_file,
    sanitize,
    write_remote_file,
)
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import SshTarget
from widgets.terminal.view import TerminalView

if TYPE_CHECKING:
    from tui.app.app import ClusterdeckApp


class ClipboardFlow:
    """Moves text between the bridge, shells and remote files, asking where it should."""

    def __init__(self, app: ClusterdeckApp, bridge: ClipboardBridge, *, remote_file: str) -> None:
        self.app = app
        self.bridge = bridge
        self.remote_file = remote_file
        self.confirm_pastes = True
        """False once the user chose "don't ask again this session"."""

    # --- towards the cluster ------------------------------------------------------------------

    async def push(self) -> None:
        """The hotkey: into the focused shell, else into the highlighted node's remote file."""
        view = self.app.terminals.active_view if self.app.screen is self.app.terminals else None
        if view is not None and view.running:
            text = self._read_local()
            if text is not None:
                await self.paste_into(view, text)
            return
        await self.send_to_file(self.remote_file)

    async def paste_into(self, view: TerminalView, text: str) -> None:
        """Paste into `view`'s shell, confirming multi-line or large pastes first."""
        node = self.app.terminals.label_of(view)
        clean = sanitize(text)
        reason = needs_confirm(clean, bracketed=view.bracketed_paste)
        if reason and self.confirm_pastes:
            choice = await self._ask(PasteConfirmDialog(clean, reason, node))
            if choice is None:
                return
            if choice == "always":
                self.confirm_pastes = False
            if choice == "one-line":
                clean = one_line(clean)
        view.paste(clean)
        self.bridge.record("to-cluster", node, clean, "shell")

    async def send_to_file(self, path: str) -> None:
        """Write the local clipboard to `path` on the highlighted (or current shell's) node."""
        found = self._current_target()
        text = self._read_local()
        if found is None or text is None:
            return
        node, target = found
        try:
            async with self.app.pool.sftp(target) as files:
                size = await write_remote_file(files, path, text)
        except ClusterdeckError as exc:
            self._error(exc)
            return
        except Exception as exc:
            self._error(as_user_error(exc, title="Clipboard"))
            return
        self.bridge.record("to-cluster", node, text, f"file {path}")
        self.app.notify(
            f"Wrote {human_size(size)} to {path} on {node} (mode 0600).",
            title="Clipboard → cluster",
        )

    # --- from the cluster ---------------------------------------------------------------------

    async def fetch_file(self, path: str) -> None:
        """Read `path` from the node and put it on the local clipboard."""
        found = self._current_target()
        if found is None:
            return
        node, target = found
        try:
            async with self.app.pool.sftp(target) as files:
                text = await read_remote_file(files, path)
            self.bridge.receive(node, text, f"file {path}")
        except ClusterdeckError as exc:
            self._error(exc)
            return
        except Exception as exc:
            self._error(as_user_error(exc, title="Clipboard"))
            return
        self.app.notify(
            f"Copied {human_size(len(text.encode()))} from {path} on {node}.",
            title="Cluster → clipboard",
        )

    def received(self, view: TerminalView, text: str, how: str) -> None:
        """A shell sent text (selection or OSC 52): put it on the local clipboard."""
        node = self.app.terminals.label_of(view)
        try:
            self.bridge.receive(node, text, how)
        except ClipboardError as exc:
            self._error(exc)
            return
        self.app.notify(
            f"Copied {human_size(len(text.encode('utf-8', 'replace')))} from "
            f"{node} ({how}) to the {self.bridge.description}.",
            title="Cluster → clipboard",
        )

    async def on_bridge_action(self, event: ClipboardScreen.ActionRequested) -> None:
        """Run an action asked for on the bridge screen, then refresh it."""
        if event.action == "send-shell":
            view = self.app.terminals.active_view
            text = self._read_local()
            if view is None or not view.running:
                self.app.notify(
                    "No shell is running: open one with enter on a node.",
                    title="Clipboard",
                    severity="warning",
                )
            elif text is not None:
                self.app.pop_screen()
                await self.app.push_screen(self.app.terminals)
                await self.paste_into(view, text)
                return
        elif event.action == "send-file":
            await self.send_to_file(event.remote_path)
        else:
            await self.fetch_file(event.remote_path)
        if isinstance(self.app.screen, ClipboardScreen):
            self.app.screen.refresh_view()

    # --- helpers ------------------------------------------------------------------------------

    def _read_local(self) -> str | None:
        try:
            text = self.bridge.read_local()
        except ClipboardError as exc:
            self._error(exc)
            return None
        if not text:
            self.app.notify(
                "The clipboard is empty: copy some text first.",
                title="Clipboard",
                severity="warning",
            )
            return None
        return text

    def _current_target(self) -> tuple[str, SshTarget] | None:
        view = self.app.terminals.active_view
        if self.app.screen is self.app.terminals and view is not None:
            target = self.app.terminals.target_of(view)
            if target is not None:
                return self.app.terminals.label_of(view), target
        node = self.app.main_screen.highlighted_node
        if node is None:
            self.app.notify(
                "Highlight a running node first.", title="Clipboard", severity="warning"
            )
            return None
        try:
            return node.name, self.app.provider.ssh_target(node)
        except ClusterdeckError as exc:
            self._error(exc)
            return None

    async def _ask(self, dialog: PasteConfirmDialog) -> PasteChoice | None:
        answer: asyncio.Future[PasteChoice | None] = asyncio.get_running_loop().create_future()
        self.app.push_screen(dialog, callback=answer.set_result)
        return await answer

    def _error(self, exc: ClusterdeckError) -> None:
        self.app.notify(exc.message, title=exc.title, severity="error")
