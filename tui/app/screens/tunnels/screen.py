"""The tunnel screen (`t`): every port forward with its live state; add, remove, restart, copy.

Also here, for the app to wire: `TunnelNotifier` (tunnel failures as notifications, on any
screen) and `tunnel_service` (the one-key "tunnel it" for a service seen in a job's log).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from tui.app.bindings import TUNNEL_KEYS
from tui.app.screens.tunnels.browser import open_in_browser
from tui.app.screens.tunnels.dialog import TunnelDialog
from tui.core.clock import Clock
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import Job, Node, NodeState, SshTarget
from tui.core.printable import inert
from tui.core.providers.base import Provider
from tui.core.tunnels import TunnelManager
from tui.core.tunnels.detect import DetectedService
from tui.core.tunnels.model import TunnelSpec, TunnelState
from tui.core.tunnels.runtime import EventKind, Tunnel, TunnelEvent
from widgets.footer import KeyFooter
from widgets.tables.tunnel import TunnelRow, TunnelTable, human_bytes

Notify = Callable[..., None]
CopyText = Callable[[str], None]
OpenUrl = Callable[[str], str | None]
"""Opens a URL in the browser: None when it worked, else why not."""

_TONES = {
    TunnelState.ACTIVE: "active",
    TunnelState.LISTENING: "ok",
    TunnelState.STARTING: "waiting",
    TunnelState.RECONNECTING: "waiting",
    TunnelState.FAILED: "error",
    TunnelState.CLOSED: "muted",
}


def tunnel_row(tunnel: Tunnel, warning: str | None = None) -> TunnelRow:
    """The TunnelTable row for `tunnel` (`warning`: its job's time limit is near)."""
    spec = tunnel.spec
    return TunnelRow(
        key=tunnel.id,
        name=inert(spec.label),
        node=inert(spec.node),
        local=tunnel.local_address,
        remote=inert(spec.remote),
        state=f"{tunnel.state_text} ⚠ {warning}" if warning else tunnel.state_text,
        tone="waiting" if warning and tunnel.state.is_open else _TONES.get(tunnel.state, "muted"),
        open_connections=tunnel.counters.open,
        total_connections=tunnel.counters.total,
        bytes_up=tunnel.counters.bytes_up,
        bytes_down=tunnel.counters.bytes_down,
        age_seconds=tunnel.age,
        errors=tunnel.counters.errors,
    )


class TunnelNotifier:
    """Turns tunnel trouble into notifications: failures, drops, closes, refused connections.

    Repeats of the same message for one tunnel are shown once per `quiet` seconds, so a browser
    retrying a refused port does not flood the screen.
    """

    def __init__(self, manager: TunnelManager, notify: Notify, *, quiet: float = 10.0) -> None:
        self._notify = notify
        self._quiet = quiet
        self._last: dict[tuple[str, str], float] = {}
        self._states: dict[str, TunnelState] = {}
        self.close = manager.subscribe(self._on_event)
        """Stop notifying."""

    def _on_event(self, event: TunnelEvent) -> None:
        tunnel = event.tunnel
        title = f"Tunnel {tunnel.spec.label}"
        if event.kind is EventKind.ERROR:
            self._say(tunnel, event.message, title, "warning")
        elif event.kind is EventKind.STATE:
            before = self._states.get(tunnel.id)
            self._states[tunnel.id] = tunnel.state
            if tunnel.state is before:
                return
            if tunnel.state is TunnelState.FAILED:
                self._say(tunnel, tunnel.reason, title, "error")
            elif tunnel.state is TunnelState.RECONNECTING:
                self._say(tunnel, tunnel.reason, title, "warning")
            elif tunnel.state is TunnelState.CLOSED and tunnel.reason not in {"removed", ""}:
                self._say(tunnel, f"closed: {tunnel.reason}", title, "information")
            elif before is TunnelState.RECONNECTING and tunnel.state is TunnelState.LISTENING:
                self._say(tunnel, f"back on {tunnel.local_address}", title, "information")

    def _say(
        self,
        tunnel: Tunnel,
        message: str,
        title: str,
        severity: Literal["information", "warning", "error"],
    ) -> None:
        now = asyncio.get_running_loop().time()
        key = (tunnel.id, message.split(" (attempt ")[0])
        if now - self._last.get(key, -1e9) < self._quiet:
            return
        self._last[key] = now
        self._notify(message, title=title, severity=severity)


async def tunnel_service(
    app: App[Any],
    manager: TunnelManager,
    service: DetectedService,
    *,
    job: Job,
    node: Node,
    target: SshTarget,
    copy: CopyText | None = None,
) -> Tunnel | None:
    """Open a tunnel to `service` on `node` and copy its local URL (token kept).

    The local port is the service's port when free, else any free port. Failures are notified.
    """
    try:
        tunnel = await manager.open_service(
            service, node=node.name, job_key=job.key, job_name=job.name, target=target
        )
    except ClusterdeckError as exc:
        app.notify(exc.message, title=exc.title, severity="error")
        return None
    (copy or app.copy_to_clipboard)(tunnel.url)
    app.notify(f"{tunnel.url} (copied) → {node.name} port {service.port}", title=service.label)
    return tunnel


class TunnelScreen(Screen[None]):
    """The tunnels of every job, live; `a` adds one through a node of `job`.

    Args:
        manager: The app's tunnel manager.
        provider: Lists the nodes of `job` and gives their SSH targets (for adding).
        job: The job the dashboard has selected; new tunnels go through its nodes.
        copy: Puts text on the clipboard (default: `App.copy_to_clipboard`, OSC 52).
        open_url: Opens a URL in the browser (default: `open_in_browser`, in a thread).
        tick: Seconds between refreshes of ages and counters.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id) for k in TUNNEL_KEYS
    ]

    DEFAULT_CSS = """
    TunnelScreen {
        #tunnels-hint { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
        #tunnel-table { height: 1fr; border: round $panel-lighten-2; border-title-color: $text; }
        #tunnel-table:focus { border: round $accent; }
        #tunnel-detail { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
        #tunnel-detail.-error { color: $error; }
    }
    """

    def __init__(
        self,
        manager: TunnelManager,
        *,
        clock: Clock,
        provider: Provider | None = None,
        job: Job | None = None,
        copy: CopyText | None = None,
        open_url: OpenUrl | None = None,
        tick: float = 1.0,
        time_warnings: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.manager = manager
        self.clock = clock
        self.provider = provider
        self.job = job
        self._copy = copy
        self._open_url = open_url or open_in_browser
        self._tick = tick
        self._time_warnings = time_warnings or dict
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        where = f"a adds one through a node of {self.job.name}" if self.job else "no job selected"
        hint = f"Port forwards of every job · {where} · enter copies the local URL"
        yield Static(hint, id="tunnels-hint", markup=False)
        yield TunnelTable(id="tunnel-table")
        yield Static("", id="tunnel-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._unsubscribe = self.manager.subscribe(self._on_event)
        self.refresh_rows()
        self.set_interval(self._tick, self.refresh_rows)
        self.query_one(TunnelTable).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # --- showing -------------------------------------------------------------------------------

    def refresh_rows(self) -> None:
        """Show every tunnel as it is now."""
        table = self.query_one(TunnelTable)
        tunnels = self.manager.tunnels
        warnings = self._time_warnings()
        table.update_tunnels([tunnel_row(t, warnings.get(t.spec.job_key or "")) for t in tunnels])
        active = sum(1 for t in tunnels if t.state.is_open)
        table.border_title = f"Tunnels ({active} open)"
        self._show_detail()

    def selected(self) -> Tunnel | None:
        """The tunnel under the cursor."""
        key = self.query_one(TunnelTable).cursor_key
        if key is None:
            return None
        try:
            return self.manager.get(key)
        except ClusterdeckError:
            return None

    def _show_detail(self) -> None:
        detail = self.query_one("#tunnel-detail", Static)
        tunnel = self.selected()
        if tunnel is None:
            detail.update("No tunnels yet: press a to add one.")
            detail.remove_class("-error")
            return
        job = f" of {tunnel.spec.job_name}" if tunnel.spec.job_name else ""
        lines = [
            f"{tunnel.url} → {tunnel.spec.node}{job} {tunnel.spec.remote} · {tunnel.state_text}"
        ]
        counters = tunnel.counters
        lines.append(
            f"{counters.total} connections, {counters.errors} failed · sent "
            f"{human_bytes(counters.bytes_up)}, received {human_bytes(counters.bytes_down)}"
        )
        if tunnel.last_error:
            lines.append(f"last failed connection: {tunnel.last_error}")
        lines.extend(tunnel.warnings)
        detail.update("\n".join(lines))
        detail.set_class(tunnel.state is TunnelState.FAILED or bool(tunnel.last_error), "-error")

    def _on_event(self, event: TunnelEvent) -> None:
        if self.is_attached:
            self.refresh_rows()

    @on(TunnelTable.RowHighlighted, "#tunnel-table")
    def _highlighted(self) -> None:
        self._show_detail()

    @on(TunnelTable.RowChosen, "#tunnel-table")
    def _selected(self) -> None:
        self.action_copy_url()

    # --- actions -------------------------------------------------------------------------------

    @work(exclusive=True, group="tunnel-add", exit_on_error=False)
    async def action_add(self) -> None:
        job, provider = self.job, self.provider
        if job is None or provider is None:
            self.notify("Select a running job on the dashboard first.", title="New tunnel")
            return
        try:
            nodes = await provider.list_nodes(job)
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        running = {n.name: n for n in nodes if n.state is NodeState.RUNNING and n.port}
        if not running:
            self.notify(f"{job.name} has no running node yet.", title="New tunnel")
            return

        def base_spec(name: str) -> TunnelSpec:
            node = running[name]
            return TunnelSpec(
                node=name,
                job_key=job.key,
                job_name=job.name,
                target=provider.ssh_target(node),
            )

        dialog = TunnelDialog(
            list(running), base_spec=base_spec, submit=self.manager.open, job_name=job.name
        )
        tunnel = await self.app.push_screen_wait(dialog)
        if tunnel is not None:
            self.refresh_rows()
            self.query_one(TunnelTable).select_key(tunnel.id)
            self.notify(f"{tunnel.url} → {tunnel.spec.node} {tunnel.spec.remote}", title="Tunnel")

    async def action_remove(self) -> None:
        tunnel = self.selected()
        if tunnel is not None:
            await self.manager.remove(tunnel.id)
            self.refresh_rows()

    async def action_restart(self) -> None:
        tunnel = self.selected()
        if tunnel is None:
            return
        try:
            await self.manager.restart(tunnel.id)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
        self.refresh_rows()

    def action_copy_url(self) -> None:
        tunnel = self.selected()
        if tunnel is None:
            return
        (self._copy or self.app.copy_to_clipboard)(tunnel.url)
        self.notify(f"Copied {tunnel.url}", title=f"Tunnel {tunnel.spec.label}")

    def action_open_browser(self) -> None:
        tunnel = self.selected()
        if tunnel is None:
            return
        if not tunnel.spec.is_web:
            self.notify(
                f"{tunnel.spec.label} is not a web page; c copies {tunnel.url}",
                title="Open in browser",
            )
            return
        self._browse(tunnel.url)

    @work(thread=True, group="tunnel-browser", exit_on_error=False)
    def _browse(self, url: str) -> None:
        try:
            reason = self._open_url(url)
        except Exception as exc:  # an opener may fail in odd ways
            reason = str(exc) or type(exc).__name__
        if reason is None:
            self.app.call_from_thread(
                self.notify, f"Opened {url} in the browser", title="Browser", markup=False
            )
        else:
            self.app.call_from_thread(
                self.notify,
                f"Could not open a browser ({reason}). Open {url} yourself; c copies it.",
                title="Browser",
                severity="warning",
                timeout=15,
                markup=False,
            )

    def action_back(self) -> None:
        self.dismiss(None)
