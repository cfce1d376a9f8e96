"""Small dialogs the keys screen uses (a form, a confirmation, a read-only text) and its forms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.identity.generate import KEY_CHOICES


@dataclass(frozen=True)
class Field:
    """One input of a `FormDialog`."""

    name: str
    label: str
    value: str = ""
    password: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    placeholder: str = ""


ResultT = TypeVar("ResultT")


class KeyDialog(ModalScreen[ResultT]):
    """Base of the keys screen's dialogs: a centred box."""

    DEFAULT_CSS = """
    KeyDialog { align: center middle; }
    KeyDialog .dialog-box {
        width: 90; height: auto; max-height: 90%; padding: 1 2;
        border: round $accent; background: $surface;
    }
    KeyDialog .dialog-row { height: auto; }
    KeyDialog .dialog-row Label { width: 30; padding: 1 1 0 0; }
    KeyDialog .dialog-row Input, KeyDialog .dialog-row Select { width: 1fr; }
    KeyDialog .dialog-error { color: $error; text-style: bold; margin-top: 1; }
    KeyDialog .dialog-buttons { height: auto; margin-top: 1; }
    KeyDialog .dialog-buttons Button { margin-right: 1; }
    KeyDialog .dialog-text { height: auto; }
    """


class FormDialog(KeyDialog[dict[str, str] | None]):
    """A small form; returns the values by field name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel")
    ]

    def __init__(
        self, title: str, fields: Sequence[Field], *, submit: str = "OK", error: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit_label = submit
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = self.title_text
            for field in self.fields:
                with Horizontal(classes="dialog-row"):
                    yield Label(field.label)
                    if field.choices:
                        yield Select(
                            field.choices,
                            value=field.value or field.choices[0][1],
                            allow_blank=False,
                            id=f"field-{field.name}",
                        )
                    else:
                        yield Input(
                            field.value,
                            password=field.password,
                            placeholder=field.placeholder,
                            id=f"field-{field.name}",
                        )
            if self.error:
                yield Static(self.error, classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, id="submit", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}").focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self._submit()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self._submit()
        else:
            self.action_cancel()

    def _submit(self) -> None:
        values: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, Select):
                values[field.name] = str(widget.value)
            elif isinstance(widget, Input):
                values[field.name] = widget.value
        self._forget_secrets()
        self.dismiss(values)

    def _forget_secrets(self) -> None:
        for widget in self.query(Input):
            if widget.password:
                widget.value = ""

    def action_cancel(self) -> None:
        self._forget_secrets()
        self.dismiss(None)


class ConfirmDialog(KeyDialog[bool]):
    """Lists what will change; returns True only when the user confirms."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm-no"),
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
    ]

    def __init__(self, title: str, lines: Sequence[str], *, yes: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.lines = list(lines)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = self.title_text
            yield Static("\n".join(self.lines), classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextDialog(KeyDialog[None]):
    """Shows text (randomart, steps) in a monospace box until closed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss", "Close", id="text-close")
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc to close"
            yield Static(self.text, classes="dialog-text", markup=False, id="dialog-text")


TYPE_OPTIONS = tuple(
    (f"{kind} {bits}", f"{kind} {bits}") for kind, sizes in KEY_CHOICES.items() for bits in sizes
)


def generate_fields(values: dict[str, str]) -> list[Field]:
    """The fields of the generate-a-key form, pre-filled from `values`."""
    return [
        Field("kind", "Type", values.get("kind", ""), choices=TYPE_OPTIONS),
        Field("comment", "Comment", values.get("comment", "")),
        Field("path", "File", values.get("path", ""), placeholder="empty: ~/.ssh/id_<type>"),
        Field("passphrase", "Passphrase (empty: none)", password=True),
        Field("confirm", "Passphrase again", password=True),
    ]
