"""Closing a tab whose shell runs in tmux or screen: detach (it keeps running) or end it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tui.app.plain import plain
from tui.app.screens.shells.persist import SessionLedger
from tui.core.errors import ClusterdeckError
from tui.core.ssh.persistent_shell import PersistentShell

CloseChoice = Literal["detach", "end"]


class CloseTabDialog(ModalScreen[CloseChoice | None]):
    """Detach, end the session, or cancel (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="close-tab-cancel"),
        Binding("d", "dismiss('detach')", "Detach", id="close-tab-detach"),
        Binding("e", "dismiss('end')", "End session", id="close-tab-end"),
    ]

    def __init__(self, label: str, session: str, program: str = "tmux") -> None:
        super().__init__()
        self.label = label
        self.session = session
        self.program = program

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(f"Close {self.label}")
            box.border_subtitle = "d: detach · e: end · esc: cancel"
            yield Label(
                plain(
                    f"This shell runs in the {self.program} session {self.session} on the node.\n"
                    "Detach: close the tab, the session keeps running (alt+s on the shells "
                    "screen, or P on the node, brings it back).\nEnd: end the session and "
                    "what runs in it.",
                    lines=True,
                )
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Detach", id="detach", variant="primary")
                yield Button("End session", id="end", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#detach", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in ("detach", "end") else None)  # type: ignore[arg-type]


async def end_or_detach(
    app: App[Any], shell: PersistentShell, choice: str, ledger: SessionLedger | None
) -> bool:
    """Do what was chosen: end the session on the node (forgetting it in `ledger`) or detach
    (saying where it keeps running). False when ending failed (the tab then stays)."""
    if choice == "end":
        try:
            await shell.end_session()
        except ClusterdeckError as exc:
            app.notify(exc.message, title=exc.title, severity="error")
            return False
        if ledger is not None:
            ledger.remove(shell.job, shell.node, shell.name)
    else:
        app.notify(
            f"{shell.name} keeps running on {shell.node}; alt+s here or P on the node "
            "brings it back.",
            title="Detached",
        )
    return True
