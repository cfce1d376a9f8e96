"""The clusterdeck Textual application: owns the services and the screens."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tui.app.bindings import APP_KEYS, all_keys, known_binding_ids, terminal_passthrough
from tui.app.clipboard import TerminalTabs, paste_confirmer
from tui.app.notifications import NoticeDelivery, write_outer_terminal
from tui.app.quitting import QuitDialog, kept_message, quit_question
from tui.app.render_guard import install_render_guard
from tui.app.screens.clipboard.screen import ClipboardScreen
from tui.app.screens.dashboard.job_actions import JobActionsScreen
from tui.app.screens.dashboard.main import MainScreen
from tui.app.screens.dialogs.ask import ask
from tui.app.screens.dialogs.help import HelpScreen
from tui.app.screens.dialogs.hostkey import alert_changed, ask_trust
from tui.app.screens.dialogs.passphrase import PassphraseDialog
from tui.app.screens.files.opening import conflict_question, files_screen
from tui.app.screens.notices.screen import NoticeScreen
from tui.app.screens.shells.links import confirm_link
from tui.app.screens.shells.opener import ShellOpener
from tui.app.screens.shells.persist import SessionLedger
from tui.app.screens.shells.terminals import TerminalScreen
from tui.app.screens.sshkeys.screen import KeysScreen
from tui.app.screens.tunnels.screen import TunnelNotifier, TunnelScreen
from tui.app.screenshots import DELIVERY_NAME, deliver_screenshot
from tui.app.shell_requests import ShellRequests, system_ssh_command
from tui.app.uistate import ThemeMemory
from tui.core.clipboard.bridge import ClipboardBridge
from tui.core.clipboard.flow import ClipboardFlow
from tui.core.clipboard.protocols import SftpFiles
from tui.core.clock import Clock
from tui.core.config.names import unknown_names
from tui.core.config.settings import Settings
from tui.core.errors import ClusterdeckError, HostKeyChanged, HostKeyUnknown
from tui.core.identity.cidr import GuardVerdict, PublicAddressGuard
from tui.core.printable import inert, inert_lines
from tui.core.providers.base import Provider
from tui.core.ssh import SshPool, TrustChoice
from tui.core.sshconfig.build import TrustFiles
from tui.core.transfers import TransferManager
from tui.core.transfers.bookmarks import Bookmarks
from tui.core.tunnels import TunnelManager
from tui.core.watch import JobWatcher, TimeWarnings, WatchEvent
from tui.core.watch.notices import JobNotifier
from tui.core.watch.sampler import NodeMetrics
from widgets.terminal import messages

__all__ = ["ClusterdeckApp", "system_ssh_command"]


class ClusterdeckApp(ShellRequests):
    """The dashboard. Services are injected by `tui.app.factory.make_app`."""

    TITLE = "clusterdeck"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.keys, k.action, k.description, show=k.show, id=k.id) for k in APP_KEYS),
        Binding("ctrl+c", "quit", "Quit", show=False, id="quit-ctrl-c"),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        provider: Provider,
        pool: SshPool,
        bridge: ClipboardBridge,
        tunnels: TunnelManager,
        watcher: JobWatcher,
        clock: Clock,
        banner: str | None = None,
        banner_note: str = "",
        status_note: str = "",
        provider_type: str = "",
        transfers: TransferManager | None = None,
    ) -> None:
        install_render_guard()
        super().__init__()
        self.settings = settings
        self.provider = provider
        self.pool = pool
        self.bridge = bridge
        self.tunnels = tunnels
        self.transfers = transfers or TransferManager(pool)
        """File transfers (the Files screen's list); conflicts are asked in a dialog."""
        if self.transfers.ask is None:
            self.transfers.ask = conflict_question(self)
        self.bookmarks = Bookmarks(settings.state_dir / "bookmarks.json")
        self.watcher = watcher
        """Polls the provider and follows the selected job; the dashboard shows what it reports."""
        self.clock = clock
        self.provider_type = provider_type
        self.access_guard = (
            PublicAddressGuard(settings.address_url) if settings.address_url else None
        )
        """Learns this workstation's public address (`[identity] address_url`), else None."""
        self.access_verdicts: dict[str, GuardVerdict] = {}
        """The last access-rule check per job key."""
        self.time_warnings: dict[str, str] = {}
        """Job key -> "6 min left" for jobs near their time limit (shown on shells, tunnels)."""
        self.metrics = NodeMetrics(pool, settings=settings.watch, clock=clock)
        """Samplers of the shown job's nodes (`[watch]`)."""
        self.notice_delivery = NoticeDelivery(
            self, settings.notify, write_terminal=lambda text: write_outer_terminal(self, text)
        )
        self.notifier = JobNotifier(settings.notify, clock=clock, deliver=self.notice_delivery)
        """Job started / ended, time left, log patterns, tunnel failures (`[notify]`)."""
        watcher.subscribe(self.notifier.on_event)
        self.main_screen = MainScreen(
            watcher,
            banner=banner,
            banner_note=banner_note,
            status_note=status_note,
            log_max_lines=settings.log_max_lines,
            access_guard=self.access_guard,
            copy_text=bridge.write_local,
            metrics=self.metrics,
        )
        self.main_screen.ssh_trust = TrustFiles(
            (Path.home() / ".ssh" / "known_hosts", pool.trusted_hosts_path), pool.job_hosts_path
        )
        ledger = SessionLedger(settings.state_dir)
        self.terminals = TerminalScreen(
            passthrough_keys=terminal_passthrough(dict(settings.keymap)),
            recordings_dir=settings.recordings_dir,
            record_input=settings.record_input,
            ledger=ledger,
        )
        self.shells = ShellOpener(self, ledger)
        """Opens shell tabs (persistent ones in tmux) and restores sessions."""
        self.shell_tabs = TerminalTabs(self, self.terminals)
        self.clipboard_flow = ClipboardFlow(
            bridge,
            remote_file=settings.clipboard_remote_file,
            notify=self.notify,
            shells=self.shell_tabs,
            highlighted_node=lambda: self.main_screen.highlighted_node,
            node_target=provider.ssh_target,
            files=SftpFiles(pool),
            confirm_paste=paste_confirmer(self),
        )
        watcher.subscribe(self._watched)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        ids, themes = known_binding_ids(), self.available_themes
        for problem in unknown_names(self.settings, binding_ids=ids, themes=themes):
            self.notify(
                f"{problem}. It is ignored until it is fixed.",
                title="Configuration",
                severity="warning",
                timeout=15,
                markup=False,
            )
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_memory = ThemeMemory(
            self, self.settings.state_dir, configured=self.settings.theme
        )
        self.theme_memory.start()
        self.tunnel_notifier = TunnelNotifier(self.tunnels, self.notify)
        self.notifier.watch_tunnels(self.tunnels)
        self.install_screen(self.terminals, name="terminals")
        self.push_screen(self.main_screen)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification (screens' and widgets' too): inert text, never parsed as markup.

        Messages interpolate job names, node names and error bodies, so `markup` is ignored.
        """
        super().notify(
            inert_lines(message),
            title=inert(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def action_notifications(self) -> None:
        if not isinstance(self.screen, NoticeScreen):
            self.push_screen(NoticeScreen(self.notifier, channel=self.notice_delivery.channel))

    async def on_unmount(self) -> None:
        self.terminals.recordings.stop_all()
        await self.metrics.close()
        await self.watcher.close()
        await self.transfers.close()
        await self.tunnels.close()
        await self.pool.close()
        await self.provider.close()

    # --- files ------------------------------------------------------------------------------

    async def on_job_actions_screen_files_requested(
        self, event: JobActionsScreen.FilesRequested
    ) -> None:
        screen = await files_screen(self, event.job, event.node, on_job=event.on_job)
        if screen is not None:
            await self.push_screen(screen)

    def _watched(self, event: WatchEvent) -> None:
        """The shells (and the tunnel screen) show the watcher's time-limit warnings."""
        self.shells.watched(event)
        if isinstance(event, TimeWarnings):
            self.time_warnings = dict(event.warnings)
            if self.terminals.is_mounted:
                self.terminals.set_time_warnings(self.time_warnings)

    async def ask_host_key(self, request: HostKeyUnknown) -> TrustChoice | None:
        """Show an unknown host key and ask whether (and how long) to trust it."""
        return await ask_trust(self, request)

    def alert_host_key_changed(self, error: HostKeyChanged) -> asyncio.Future[None]:
        """Refuse loudly: a changed host key may be an attack. Done when the alert is closed."""
        return alert_changed(self, error)

    def action_tunnels(self) -> None:
        if not isinstance(self.screen, TunnelScreen):
            self.push_screen(
                TunnelScreen(
                    self.tunnels,
                    clock=self.clock,
                    provider=self.provider,
                    job=self.main_screen.selected,
                    copy=self.bridge.write_local,
                    time_warnings=lambda: self.time_warnings,
                )
            )

    def action_ask_again_for_skipped_keys(self) -> None:
        """Passphrases skipped with Esc are asked for again on the next connection."""
        count = self.pool.ask_again_for_skipped_keys()
        self.notify(f"{count} skipped key(s) will be asked for again.", title="Keys")

    def action_keys(self) -> None:
        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(provider_type=self.provider_type))

    async def ask_passphrase(self, key_path: Path, error: str | None = None) -> str | None:
        """Ask for `key_path`'s passphrase in a masked dialog (the SSH pool's callback)."""
        return await ask(self, PassphraseDialog(key_path, error=error))

    async def action_quit(self) -> None:
        """Quit; while shells or tunnels are open ask first (`[ui] confirm_quit`). Shells in
        tmux keep running on their nodes, and the question and a last line say so."""
        kept = len(self.terminals.persistent_shells)
        message = kept_message(kept) if kept else None
        if isinstance(self.screen, QuitDialog):
            self.exit(message=message)  # the quit key again: yes
            return
        shells = sum(view.state in ("starting", "running") for view in self.terminals.views)
        tunnels = sum(tunnel.state.is_open for tunnel in self.tunnels.tunnels)
        question = quit_question(shells, tunnels, kept) if self.settings.confirm_quit else None
        if question is None:
            self.exit(message=message)
        else:
            self.push_screen(
                QuitDialog(question), lambda yes: self.exit(message=message) if yes else None
            )

    def action_toggle_terminals(self) -> None:
        if self.screen is self.terminals:
            self.pop_screen()
        elif self.terminals.views or self.terminals.restorable:
            self.push_screen(self.terminals)
        else:
            self.notify("No shell is open yet: press enter on a node.", title="Shells")

    # --- clipboard ----------------------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """Every copy in the app (keys, URLs, selections) goes through the clipboard bridge."""
        try:
            self.bridge.write_local(text)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")

    def osc52_copy(self, text: str) -> None:
        """Textual's own copy: OSC 52 through the outer terminal (the bridge's fallback)."""
        super().copy_to_clipboard(text)

    def action_push_clipboard(self) -> None:
        # Workers, not the handler itself: the flow may wait for a dialog the app must run.
        self.run_worker(self.clipboard_flow.push(), group="clipboard", exit_on_error=False)

    def action_clipboard(self) -> None:
        if not isinstance(self.screen, ClipboardScreen):
            self.push_screen(
                ClipboardScreen(self.bridge, remote_file=self.settings.clipboard_remote_file)
            )

    def on_clipboard_screen_action_requested(self, event: ClipboardScreen.ActionRequested) -> None:
        self.run_worker(self._bridge_action(event), group="clipboard", exit_on_error=False)

    async def _bridge_action(self, event: ClipboardScreen.ActionRequested) -> None:
        await self.clipboard_flow.run_bridge_action(event.action, event.remote_path)
        if isinstance(self.screen, ClipboardScreen):
            self.screen.refresh_view()

    def on_terminal_view_paste_requested(self, event: messages.PasteRequested) -> None:
        self.run_worker(
            self.clipboard_flow.paste_into(
                self.shell_tabs.paste_shell(event.terminal_view), event.text
            ),
            group="clipboard",
            exit_on_error=False,
        )

    def on_terminal_view_clipboard_written(self, event: messages.ClipboardWritten) -> None:
        shell = self.shell_tabs.shell_of(event.terminal_view)
        self.clipboard_flow.received(shell, event.text, "OSC 52")

    def on_terminal_view_link_clicked(self, event: messages.LinkClicked) -> None:
        node = self.terminals.label_of(event.terminal_view)
        self.run_worker(confirm_link(self, event.url, node), group="links", exit_on_error=False)

    def on_terminal_view_copy_requested(self, event: messages.CopyRequested) -> None:
        shell = self.shell_tabs.shell_of(event.terminal_view)
        self.clipboard_flow.received(shell, event.text, "selection")

    # --- help and commands --------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(all_keys(), dict(self.settings.keymap)))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """An SVG of the screen in ~/Downloads (made when missing), else in the state dir."""
        folder = Path(path).expanduser() if path else None
        return deliver_screenshot(self, self.settings.state_dir, filename, folder)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name == DELIVERY_NAME:
            self.notify(f"Saved screenshot to {event.path}", title="Screenshot")

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == DELIVERY_NAME:
            error = event.exception
            self.notify(
                f"Could not save the screenshot: {error}", title="Screenshot", severity="error"
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key and its binding id", self.action_help)
        yield SystemCommand("Refresh", "Fetch jobs and nodes now", self.main_screen.refresh_now)
        yield SystemCommand("Shells", "Show the open shells", self.action_toggle_terminals)
        yield SystemCommand(
            "Clipboard bridge", "Both clipboards and the last transfers", self.action_clipboard
        )
