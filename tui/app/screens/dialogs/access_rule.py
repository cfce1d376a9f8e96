"""Build and check a job's access-restriction rule (CIDR): Everywhere, My current IP, custom."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.core.errors import ClusterdeckError
from tui.core.identity.cidr import PublicAddressGuard, parse_rule, rule_allows, single_address_rule

EVERYWHERE = "0.0.0.0/0, ::/0"


class AccessRuleDialog(ModalScreen[str | None]):
    """Validates a rule as it is typed; returns it (to copy into the job's settings) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="access-close"),
    ]

    def __init__(self, rule: str = "", *, guard: PublicAddressGuard | None = None) -> None:
        super().__init__()
        self.rule = rule
        self.guard = guard

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Access restriction (CIDR)"
            yield Label("Who may connect to the job's nodes: comma-separated IPv4/IPv6 blocks.")
            yield Input(
                self.rule, placeholder="e.g. 203.0.113.7/32, 2001:db8::/48", id="access-rule"
            )
            yield Static("", id="access-verdict")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Everywhere", id="everywhere")
                yield Button("My current IP", id="mine", disabled=self.guard is None)
                yield Button("Copy rule", id="copy", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._check(self.rule)

    @on(Input.Changed, "#access-rule")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> None:
        verdict = self.query_one("#access-verdict", Static)
        if not text.strip():
            verdict.update("Type a rule, or pick Everywhere / My current IP.")
            return
        try:
            rule = parse_rule(text)
        except ClusterdeckError as exc:
            verdict.update(Text(exc.message, style="red"))
            return
        self.rule = ", ".join(str(net) for net in rule)
        note = f"Valid: {self.rule}"
        if self.guard is not None and self.guard.cached_address is not None:
            inside = rule_allows(rule, self.guard.cached_address)
            note += (
                f" · this workstation ({self.guard.cached_address}) "
                f"{'is allowed' if inside else '[red]is NOT allowed[/]'}"
            )
        verdict.update(note)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        field = self.query_one(Input)
        if event.button.id == "everywhere":
            field.value = EVERYWHERE
        elif event.button.id == "mine":
            self._my_address()
        elif event.button.id == "copy":
            try:
                parse_rule(field.value)
            except ClusterdeckError:
                return
            self.dismiss(self.rule)
        else:
            self.dismiss(None)

    @work(exclusive=True, exit_on_error=False)
    async def _my_address(self) -> None:
        assert self.guard is not None
        try:
            address = await self.guard.public_address()
        except ClusterdeckError as exc:
            self.query_one("#access-verdict", Static).update(Text(exc.message, style="red"))
            return
        self.query_one(Input).value = single_address_rule(address)
