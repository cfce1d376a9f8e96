"""A yes/no question, and a read-only details view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.app.plain import plain
from tui.core.printable import inert, inert_lines


class ConfirmDialog(ModalScreen[bool]):
    """Returns True only when the user presses the confirm button."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm-cancel"),
        Binding("y", "dismiss(True)", "Confirm", id="confirm-accept"),
    ]

    def __init__(self, title: str, question: str, *, confirm: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(self.title_text)
            box.border_subtitle = plain(f"y: {self.confirm_label.lower()} · enter or esc: cancel")
            yield Label(plain(self.question, lines=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")


class DetailsDialog(ModalScreen[None]):
    """Key/value facts about something (a job), closed with escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,i", "dismiss", "Close", id="details-close"),
    ]

    def __init__(self, title: str, facts: Mapping[str, str]) -> None:
        super().__init__()
        self.title_text = title
        self.facts = facts

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in self.facts.items():
            table.add_row(Text(inert(key)), Text(inert_lines(value)))
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(self.title_text)
            box.border_subtitle = "esc to close"
            yield Static(table)
