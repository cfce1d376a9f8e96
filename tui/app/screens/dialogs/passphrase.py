"""Ask for a private key's passphrase. The text is masked and never stored or logged."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tui.app.plain import plain


class PassphraseDialog(ModalScreen[str | None]):
    """Returns the passphrase typed, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="passphrase-cancel"),
    ]

    def __init__(self, key_path: Path, attempt: int = 1, *, error: str | None = None) -> None:
        super().__init__()
        self.key_path = key_path
        self.attempt = attempt
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-box") as box:
            box.border_title = "Key passphrase"
            yield Label(plain(f"Passphrase for {self.key_path}"))
            if self.error:
                yield Label(plain(f"{self.error.capitalize()}."), id="passphrase-error")
            yield Input(
                password=True,
                id="passphrase",
                placeholder="enter: unlock, esc: skip this key for the session",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
