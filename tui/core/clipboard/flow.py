"""What the clipboard hotkeys and the bridge screen do: text between the bridge, shells and files.

The UI around it comes in as small protocols (`tui.core.clipboard.protocols`); no Textual here.
"""

from __future__ import annotations

from tui.core.clipboard.bridge import (
    ClipboardBridge,
    ClipboardError,
    needs_confirm,
    one_line,
    sanitize,
)
from tui.core.clipboard.protocols import (
    BridgeAction,
    ConfirmPaste,
    HighlightedNode,
    NodeTarget,
    Notify,
    RemoteFiles,
    Shell,
    ShellTabs,
)
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import SshTarget


def human_size(size: int) -> str:
    """1234 -> '1.2 kB'."""
    for unit, step in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= step:
            return f"{size / step:.1f} {unit}"
    return f"{size} B"


class ClipboardFlow:
    """Moves text between the bridge, shells and remote files, asking where it should.

    Args:
        bridge: The local clipboard and the transfer history.
        remote_file: The default "send to file" path on a node.
        notify: Tells the user what happened.
        shells: The open shell tabs.
        highlighted_node: The dashboard's node under the cursor (the file target off a shell).
        node_target: How to reach that node over SSH.
        files: Reads and writes files on nodes.
        confirm_paste: Asks before a multi-line or very large paste.
    """

    def __init__(
        self,
        bridge: ClipboardBridge,
        *,
        remote_file: str,
        notify: Notify,
        shells: ShellTabs,
        highlighted_node: HighlightedNode,
        node_target: NodeTarget,
        files: RemoteFiles,
        confirm_paste: ConfirmPaste,
    ) -> None:
        self.bridge = bridge
        self.remote_file = remote_file
        self.notify = notify
        self.shells = shells
        self.highlighted_node = highlighted_node
        self.node_target = node_target
        self.files = files
        self.confirm_paste = confirm_paste
        self.confirm_pastes = True
        """False once the user chose "don't ask again this session"."""

    # --- towards the cluster ------------------------------------------------------------------

    async def push(self) -> None:
        """The hotkey: into the focused shell, else into the highlighted node's remote file."""
        shell = self.shells.focused()
        if shell is not None and shell.terminal.running:
            text = self._read_local()
            if text is not None:
                await self.paste_into(shell, text)
            return
        await self.send_to_file(self.remote_file)

    async def paste_into(self, shell: Shell, text: str) -> None:
        """Paste into `shell`, confirming multi-line or large pastes first."""
        clean = sanitize(text)
        reason = needs_confirm(clean, bracketed=shell.terminal.bracketed_paste)
        if reason and self.confirm_pastes:
            choice = await self.confirm_paste(clean, reason, shell.label)
            if choice is None:
                return
            if choice == "always":
                self.confirm_pastes = False
            if choice == "one-line":
                clean = one_line(clean)
        shell.terminal.paste(clean)
        self.bridge.record("to-cluster", shell.label, clean, "shell")

    async def send_to_file(self, path: str) -> None:
        """Write the local clipboard to `path` on the highlighted (or current shell's) node."""
        found = self._current_target()
        text = self._read_local()
        if found is None or text is None:
            return
        node, target = found
        try:
            size = await self.files.write(target, path, text)
        except Exception as exc:  # ours as they are, anything else named "Clipboard"
            self._error(as_user_error(exc, title="Clipboard"))
            return
        self.bridge.record("to-cluster", node, text, f"file {path}")
        self.notify(
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
            text = await self.files.read(target, path)
            self.bridge.receive(node, text, f"file {path}")
        except Exception as exc:  # ours as they are, anything else named "Clipboard"
            self._error(as_user_error(exc, title="Clipboard"))
            return
        self.notify(
            f"Copied {human_size(len(text.encode()))} from {path} on {node}.",
            title="Cluster → clipboard",
        )

    def received(self, shell: Shell, text: str, how: str) -> None:
        """A shell sent text (selection or OSC 52): put it on the local clipboard."""
        try:
            self.bridge.receive(shell.label, text, how)
        except ClipboardError as exc:
            self._error(exc)
            return
        self.notify(
            f"Copied {human_size(len(text.encode('utf-8', 'replace')))} from "
            f"{shell.label} ({how}) to the {self.bridge.description}.",
            title="Cluster → clipboard",
        )

    async def run_bridge_action(self, action: BridgeAction, remote_path: str) -> None:
        """Do what the bridge screen asked for (`remote_path`: its file field)."""
        if action == "send-shell":
            shell = self.shells.selected()
            text = self._read_local()
            if shell is None or not shell.terminal.running:
                self.notify(
                    "No shell is running: open one with enter on a node.",
                    title="Clipboard",
                    severity="warning",
                )
            elif text is not None:
                await self.shells.show()
                await self.paste_into(shell, text)
        elif action == "send-file":
            await self.send_to_file(remote_path)
        else:
            await self.fetch_file(remote_path)

    # --- helpers ------------------------------------------------------------------------------

    def _read_local(self) -> str | None:
        try:
            text = self.bridge.read_local()
        except ClipboardError as exc:
            self._error(exc)
            return None
        if not text:
            self.notify(
                "The clipboard is empty: copy some text first.",
                title="Clipboard",
                severity="warning",
            )
            return None
        return text

    def _current_target(self) -> tuple[str, SshTarget] | None:
        shell = self.shells.focused()
        if shell is not None and shell.target is not None:
            return shell.label, shell.target
        node = self.highlighted_node()
        if node is None:
            self.notify("Highlight a running node first.", title="Clipboard", severity="warning")
            return None
        try:
            return node.name, self.node_target(node)
        except ClusterdeckError as exc:
            self._error(exc)
            return None

    def _error(self, exc: ClusterdeckError) -> None:
        self.notify(exc.message, title=exc.title, severity="error")
