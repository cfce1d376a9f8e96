"""The ssh config block of a node: copy it, or write it to a file for `Include`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from tui.app.plain import plain
from tui.core.errors import ClusterdeckError
from tui.core.printable import inert_lines

WriteConfig = Callable[[Path], str]
"""Writes the blocks to a path; returns what it did (raises ClusterdeckError)."""


class SshConfigDialog(ModalScreen[None]):
    """Shows Host blocks with "Copy" and "Write to file" (the path is editable)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="ssh-config-close"),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        *,
        copy: Callable[[str], None],
        write: WriteConfig,
        default_path: Path,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.copy = copy
        self.write = write
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(self.title_text)
            box.border_subtitle = "esc to close"
            yield TextArea(
                inert_lines(self.text),
                id="ssh-config-text",
                read_only=True,
                soft_wrap=False,
                show_line_numbers=False,
            )
            yield Label("Write to (then `Include` it at the top of ~/.ssh/config):")
            yield Input(str(self.default_path), id="ssh-config-path")
            yield Static("", id="ssh-config-result", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy", id="ssh-config-copy", variant="primary")
                yield Button("Write to file", id="ssh-config-write")
                yield Button("Close", id="ssh-config-done")

    def on_mount(self) -> None:
        self.query_one("#ssh-config-copy", Button).focus()

    def _say(self, text: str) -> None:
        self.query_one("#ssh-config-result", Static).update(plain(text, lines=True))

    @on(Button.Pressed, "#ssh-config-copy")
    def _copy(self) -> None:
        self.copy(self.text)
        self._say("Copied to the clipboard.")

    @on(Button.Pressed, "#ssh-config-write")
    @on(Input.Submitted, "#ssh-config-path")
    def _write(self) -> None:
        raw = self.query_one("#ssh-config-path", Input).value.strip()
        if not raw:
            self._say("Give a file to write to.")
            return
        try:
            self._say(self.write(Path(raw)))
        except ClusterdeckError as exc:
            self._say(f"Not written: {exc.message}")

    @on(Button.Pressed, "#ssh-config-done")
    def _done(self) -> None:
        self.dismiss()
