"""The Files screen's dialogs: a path (or name) prompt, a conflict question, the bookmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList

from tui.app.plain import plain
from tui.core.transfers import Conflict


class PathDialog(ModalScreen[str | None]):
    """Asks for a path or a name (enter: this; esc: cancel)."""

    DEFAULT_CSS = "PathDialog { align: center middle; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="files-prompt-cancel"),
    ]

    def __init__(self, title: str, question: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(self.title_text)
            box.border_subtitle = "enter: ok · esc: cancel"
            yield Label(plain(self.question, lines=True))
            yield Input(self.value, id="files-prompt")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class ConflictDialog(ModalScreen[tuple[Conflict, bool] | None]):
    """A destination exists: skip, overwrite or rename (keep both), maybe for all the rest."""

    DEFAULT_CSS = "ConflictDialog { align: center middle; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Skip", id="files-conflict-skip"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Exists already"
            yield Label(plain(f"{self.path} exists already.", lines=True))
            yield Checkbox("The same for all the others", id="files-conflict-all")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Skip", id="skip")
                yield Button("Overwrite", id="overwrite", variant="error")
                yield Button("Rename (keep both)", id="rename", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#rename", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        same = self.query_one("#files-conflict-all", Checkbox).value
        self.dismiss((Conflict(event.button.id or "skip"), same))


class BookmarksDialog(ModalScreen[str | None]):
    """The bookmarked folders of a cluster; enter goes to one."""

    DEFAULT_CSS = "BookmarksDialog { align: center middle; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="files-bookmarks-close"),
    ]

    def __init__(self, cluster: str, folders: Sequence[str]) -> None:
        super().__init__()
        self.cluster = cluster
        self.folders = list(folders)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(f"Bookmarks on {self.cluster}")
            box.border_subtitle = "enter: go · esc: close · b on a folder: add or remove"
            if self.folders:
                yield OptionList(*[plain(f) for f in self.folders], id="files-bookmark-list")
            else:
                yield Label("No bookmarks yet: b bookmarks the folder you are in.")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.folders[event.option_index])
