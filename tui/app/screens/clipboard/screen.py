"""The clipboard bridge screen and the paste confirmation dialog."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, Static

from tui.app.plain import plain
from tui.core.clipboard.bridge import ClipboardBridge, ClipboardError, Transfer
from tui.core.clipboard.flow import human_size
from tui.core.clipboard.protocols import BridgeAction, PasteChoice
from tui.core.printable import inert
from widgets.footer import KeyFooter

PREVIEW_LINES = 6


def preview(text: str, lines: int = PREVIEW_LINES) -> Text:
    """The first `lines` lines of `text`, control characters shown as nothing, dimmed after."""
    all_lines = text.splitlines()
    shown = all_lines[:lines]
    more = len(all_lines) - len(shown)
    result = Text("\n".join(line[:200] for line in shown))
    if more > 0:
        result.append(f"\n… {more} more lines", style="dim")
    return result


class PasteConfirmDialog(ModalScreen[PasteChoice | None]):
    """Asks before a multi-line (not bracketed) or very large paste into a shell."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="paste-cancel"),
    ]

    def __init__(self, text: str, reason: str, node: str) -> None:
        super().__init__()
        self.text = text
        self.reason = reason
        self.node = node

    def compose(self) -> ComposeResult:
        lines = self.text.rstrip("\n").count("\n") + 1
        with Vertical(id="paste-box") as box:
            box.border_title = plain(f"Paste into {self.node}?")
            yield Label(
                f"{lines} line{'s' if lines != 1 else ''}, "
                f"{human_size(len(self.text.encode('utf-8', 'replace')))}: "
                f"{self.reason}."
            )
            yield Static(preview(self.text), id="paste-preview")
            with Horizontal(id="paste-buttons"):
                yield Button("Paste", id="paste", variant="primary")
                yield Button("Paste as one line", id="one-line")
                yield Button("Cancel", id="cancel")
                yield Button("Don't ask again this session", id="always")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        if choice in ("paste", "one-line", "always"):
            self.dismiss(choice)  # type: ignore[arg-type]
        else:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ClipboardScreen(Screen[None]):
    """Both sides of the bridge and the last transfers, with actions on them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="clipboard-back"),
        Binding("s", "request('send-shell')", "Send to shell", id="clipboard-send-shell"),
        Binding("f", "request('send-file')", "Send to file", id="clipboard-send-file"),
        Binding("g", "request('fetch-file')", "Fetch file", id="clipboard-fetch-file"),
        Binding("y", "copy_again", "Copy again", id="clipboard-copy-again"),
        Binding("r", "refresh_view", "Refresh", id="clipboard-refresh", show=False),
    ]

    class ActionRequested(Message):
        """The user asked for a transfer; the app does it (it knows nodes and shells)."""

        def __init__(self, action: BridgeAction, remote_path: str) -> None:
            super().__init__()
            self.action = action
            self.remote_path = remote_path

    def __init__(self, bridge: ClipboardBridge, *, remote_file: str) -> None:
        super().__init__()
        self.bridge = bridge
        self.remote_file = remote_file

    def compose(self) -> ComposeResult:
        yield Static(id="clipboard-status")
        with Horizontal(id="clipboard-sides"):
            yield Static(id="clipboard-local")
            yield Static(id="clipboard-remote")
        with Horizontal(id="clipboard-path-row"):
            yield Label("Remote file: ")
            yield Input(self.remote_file, id="clipboard-path")
        yield DataTable(id="clipboard-history", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#clipboard-history", DataTable)
        table.add_columns("Direction", "Node", "Size", "Time", "How")
        table.border_title = "Last transfers"
        self.refresh_view()
        table.focus()

    def refresh_view(self) -> None:
        """Re-read the local clipboard and redraw both sides and the history."""
        bridge = self.bridge
        status = f"Local clipboard: {bridge.description}"
        if bridge.hint:
            status += f" · {bridge.hint}"
        self.query_one("#clipboard-status", Static).update(status)
        local = self.query_one("#clipboard-local", Static)
        local.border_title = "Workstation clipboard"
        if bridge.backend == "osc52":
            local.update(
                Text(
                    "OSC 52 cannot be read back: showing what clusterdeck last put there.\n",
                    style="dim",
                )
                + preview(bridge.read_local())
            )
        else:
            try:
                text = bridge.read_local()
                local.update(preview(text) if text else Text("(empty)", style="dim"))
            except ClipboardError as exc:
                local.update(Text(exc.message, style="red"))
        remote = self.query_one("#clipboard-remote", Static)
        remote.border_title = "Last from the cluster"
        remote.update(
            preview(bridge.from_cluster)
            if bridge.from_cluster
            else Text("(nothing yet)", style="dim")
        )
        table = self.query_one("#clipboard-history", DataTable)
        table.clear()
        for index, item in enumerate(bridge.history):
            table.add_row(
                self._arrow(item),
                Text(inert(item.node)),
                human_size(item.size),
                item.when.strftime("%H:%M:%S"),
                Text(inert(item.how)),
                key=str(index),
            )

    @staticmethod
    def _arrow(item: Transfer) -> str:
        return "→ cluster" if item.direction == "to-cluster" else "← cluster"

    def action_refresh_view(self) -> None:
        self.refresh_view()

    def action_request(self, action: BridgeAction) -> None:
        path = self.query_one("#clipboard-path", Input).value.strip() or self.remote_file
        self.post_message(self.ActionRequested(action, path))

    def action_copy_again(self) -> None:
        table = self.query_one("#clipboard-history", DataTable)
        if not self.bridge.history or table.row_count == 0:
            self.notify("No transfer to copy yet.", title="Clipboard")
            return
        item = self.bridge.history[table.cursor_row]
        try:
            self.bridge.write_local(item.text)
        except ClipboardError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        self.notify(f"Copied {human_size(item.size)} again.", title="Clipboard")
        self.refresh_view()
