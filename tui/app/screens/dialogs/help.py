"""The help screen: every key, where it works, and its binding id for `[keys]` remapping."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.bindings import KeyHelp, display_keys


class HelpScreen(ModalScreen[None]):
    """A modal table of keys. Any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help-close"),
    ]

    def __init__(self, keys: tuple[KeyHelp, ...], keymap: dict[str, str]) -> None:
        super().__init__()
        self.keys = keys
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, header_style="bold")
        table.add_column("Key", style="bold")
        table.add_column("Where", style="dim")
        table.add_column("Does")
        table.add_column(Text("Id (for [keys])"), style="dim")
        for spec in self.keys:
            keys = self.keymap.get(spec.id, spec.keys)
            table.add_row(Text(display_keys(keys)), spec.where, spec.description, spec.id)
        with VerticalScroll(id="help-body") as body:
            body.border_title = "clusterdeck keys"
            body.border_subtitle = "esc to close"
            yield Static(table)
