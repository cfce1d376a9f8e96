"""The app side of the clipboard flow: its shell tabs and paste dialog as the flow's protocols."""

from __future__ import annotations

from typing import Any

from textual.app import App

from tui.app.screens.clipboard.screen import PasteConfirmDialog
from tui.app.screens.dialogs.ask import ask
from tui.app.screens.shells.broadcast import BroadcastPaste
from tui.app.screens.shells.terminals import TerminalScreen
from tui.core.clipboard.protocols import ConfirmPaste, PasteChoice, Shell
from widgets.terminal.view import TerminalView


class TerminalTabs:
    """`ShellTabs` on the app's shell screen."""

    def __init__(self, app: App[Any], terminals: TerminalScreen) -> None:
        self.app = app
        self.terminals = terminals

    def shell_of(self, view: TerminalView) -> Shell:
        """`view` with its tab's label and SSH target."""
        return Shell(view, self.terminals.label_of(view), self.terminals.target_of(view))

    def paste_shell(self, view: TerminalView) -> Shell:
        """Where a paste into `view` goes: a tab marked for broadcast pastes into every
        running marked tab (confirmed as for the least safe of them)."""
        targets = self.terminals.broadcast.paste_targets(view)
        if len(targets) < 2 or not view.running:
            return self.shell_of(view)
        label = f"{self.terminals.label_of(view)} and {len(targets) - 1} more (broadcast)"
        return Shell(BroadcastPaste(targets), label, self.terminals.target_of(view))

    def focused(self) -> Shell | None:
        view = self.terminals.active_view if self.app.screen is self.terminals else None
        return self.paste_shell(view) if view is not None else None

    def selected(self) -> Shell | None:
        view = self.terminals.active_view
        return self.shell_of(view) if view is not None else None

    async def show(self) -> None:
        """Leave the bridge screen for the shells."""
        self.app.pop_screen()
        await self.app.push_screen(self.terminals)


def paste_confirmer(app: App[Any]) -> ConfirmPaste:
    """Ask with `PasteConfirmDialog` before a multi-line or very large paste."""

    async def confirm(text: str, reason: str, node: str) -> PasteChoice | None:
        return await ask(app, PasteConfirmDialog(text, reason, node))

    return confirm
