"""The add-tunnel dialog: a preset, a node of the job, ports; problems shown inline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.app.plain import plain
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.printable import inert
from tui.core.tunnels.model import (
    PRESETS,
    PRESETS_BY_KEY,
    TunnelKind,
    TunnelSpec,
    check_host,
    parse_port,
)
from tui.core.tunnels.runtime import Tunnel

BaseSpec = Callable[[str], TunnelSpec]
"""Node name -> a spec with the node, its SSH target and the job filled in."""
Submit = Callable[[TunnelSpec], Awaitable[Tunnel]]


class TunnelDialog(ModalScreen[Tunnel | None]):
    """Returns the opened tunnel, or None when cancelled.

    Args:
        nodes: Names of the nodes the tunnel may go through (the job's running nodes).
        base_spec: Builds the node part of the spec for a node name.
        submit: Opens the tunnel (`TunnelManager.open`); its TunnelError is shown inline.
        job_name: Shown in the title.
        preset: The preset selected at first.
    """

    AUTO_FOCUS = "#tunnel-preset"
    """The first field, every time (focusing another one in on_mount raced with this)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="tunnel-dialog-cancel"),
    ]

    DEFAULT_CSS = """
    TunnelDialog {
        align: center middle;
    }
    #tunnel-dialog {
        width: 76;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 1 2;
    }
    .tunnel-dialog-row {
        height: auto;
    }
    .tunnel-dialog-label {
        width: 18;
        padding: 1 1 0 0;
        color: $text-muted;
    }
    #tunnel-preset, #tunnel-node {
        width: 1fr;
    }
    #tunnel-remote-host, #tunnel-name {
        width: 1fr;
    }
    #tunnel-remote-port, #tunnel-local-port {
        width: 16;
    }
    #tunnel-error {
        height: auto;
        color: $error;
        text-style: bold;
        padding: 0 0 0 18;
        display: none;
        &.-shown { display: block; }
    }
    #tunnel-dialog-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
        Button { margin-left: 1; }
    }
    """

    def __init__(
        self,
        nodes: Sequence[str],
        *,
        base_spec: BaseSpec,
        submit: Submit,
        job_name: str = "",
        preset: str = "jupyter",
    ) -> None:
        super().__init__()
        self.nodes = list(nodes)
        self.base_spec = base_spec
        self.submit = submit
        self.job_name = job_name
        self.preset = preset if preset in PRESETS_BY_KEY else "custom"

    def compose(self) -> ComposeResult:
        first = PRESETS_BY_KEY[self.preset]
        port = str(first.port) if first.port else ""
        with Vertical(id="tunnel-dialog") as box:
            box.border_title = plain(f"New tunnel{' · ' + self.job_name if self.job_name else ''}")
            box.border_subtitle = "enter: open · esc: cancel"
            with Horizontal(classes="tunnel-dialog-row"):
                yield Label("Service", classes="tunnel-dialog-label")
                yield Select(
                    [(f"{p.label} {p.port}" if p.port else p.label, p.key) for p in PRESETS],
                    value=self.preset,
                    allow_blank=False,
                    id="tunnel-preset",
                )
            with Horizontal(classes="tunnel-dialog-row"):
                yield Label("Node", classes="tunnel-dialog-label")
                yield Select(
                    [(Text(inert(name)), name) for name in self.nodes],
                    value=self.nodes[0] if self.nodes else Select.BLANK,
                    allow_blank=not self.nodes,
                    prompt="no running node",
                    id="tunnel-node",
                )
            with Horizontal(classes="tunnel-dialog-row"):
                yield Label("Remote host:port", classes="tunnel-dialog-label")
                yield Input("localhost", id="tunnel-remote-host", placeholder="host on the node")
                yield Input(port, id="tunnel-remote-port", placeholder="port", max_length=8)
            with Horizontal(classes="tunnel-dialog-row"):
                yield Label("Local port", classes="tunnel-dialog-label")
                yield Input(port, id="tunnel-local-port", placeholder="0 = any free port")
                yield Input(
                    first.key if first.key != "custom" else "", id="tunnel-name", placeholder="name"
                )
            yield Static("", id="tunnel-error", markup=False)
            with Horizontal(id="tunnel-dialog-buttons"):
                yield Button("Open tunnel", variant="primary", id="tunnel-open")
                yield Button("Cancel", id="tunnel-cancel")

    def on_mount(self) -> None:
        self._apply_kind()

    # --- events --------------------------------------------------------------------------------

    @on(Select.Changed, "#tunnel-preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        preset = PRESETS_BY_KEY.get(str(event.value))
        if preset is None or preset.key == self.preset:
            return
        self.preset = preset.key
        port = str(preset.port) if preset.port else ""
        if preset.kind is TunnelKind.LOCAL:
            self.query_one("#tunnel-remote-port", Input).value = port
        self.query_one("#tunnel-local-port", Input).value = port
        self.query_one("#tunnel-name", Input).value = preset.key if preset.key != "custom" else ""
        self._apply_kind()
        self._show("")

    @on(Input.Changed, "#tunnel-remote-port, #tunnel-local-port")
    def _port_changed(self, event: Input.Changed) -> None:
        local = event.input.id == "tunnel-local-port"
        if not event.value.strip() and not local:
            self._show("")
            return
        try:
            parse_port(event.value, what="local port" if local else "remote port", allow_any=local)
        except ClusterdeckError as exc:
            self._show(exc.message)
        else:
            self._show("")

    @on(Input.Submitted)
    async def _input_submitted(self) -> None:
        await self.action_open()

    @on(Button.Pressed, "#tunnel-open")
    async def _open_pressed(self) -> None:
        await self.action_open()

    @on(Button.Pressed, "#tunnel-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    # --- actions -------------------------------------------------------------------------------

    async def action_open(self) -> None:
        """Validate, open the tunnel, and close the dialog; or say what is wrong."""
        try:
            spec = self.spec()
            tunnel = await self.submit(spec)
        except Exception as raised:
            self._show(as_user_error(raised).message)
            return
        self.dismiss(tunnel)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def spec(self) -> TunnelSpec:
        """The spec the form describes. Raises ClusterdeckError for a bad field."""
        node = self.query_one("#tunnel-node", Select).value
        if not isinstance(node, str):
            raise ClusterdeckError("this job has no running node to tunnel through yet")
        preset = PRESETS_BY_KEY[self.preset]
        local = parse_port(self._value("#tunnel-local-port"), what="local port", allow_any=True)
        changes: dict[str, object] = {
            "local_port": local,
            "name": self._value("#tunnel-name").strip(),
            "preset": preset.key,
            "scheme": preset.scheme,
            "kind": preset.kind,
        }
        if preset.kind is TunnelKind.LOCAL:
            changes["remote_port"] = parse_port(
                self._value("#tunnel-remote-port"), what="remote port"
            )
            changes["remote_host"] = check_host(self._value("#tunnel-remote-host"))
        return replace(self.base_spec(node), **changes)  # type: ignore[arg-type]

    # --- helpers -------------------------------------------------------------------------------

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _apply_kind(self) -> None:
        socks = PRESETS_BY_KEY[self.preset].kind is TunnelKind.SOCKS
        for selector in ("#tunnel-remote-host", "#tunnel-remote-port"):
            self.query_one(selector, Input).disabled = socks

    def _show(self, message: str) -> None:
        error = self.query_one("#tunnel-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
