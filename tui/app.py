"""The clusterdeck Textual application: owns the services and the screens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.clock import Clock
from tui.config import Settings
from tui.errors import ClusterdeckError
from tui.keys import APP_KEYS, all_keys
from tui.providers.base import Provider
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen


class ClusterdeckApp(App[None]):
    """The dashboard. Services are injected by `tui.cli.make_app`."""

    TITLE = "clusterdeck"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.keys, k.action, k.description, show=k.show, id=k.id) for k in APP_KEYS),
        Binding("ctrl+c", "quit", "Quit", show=False, id="quit-ctrl-c"),
    ]

    def __init__(
        self, *, settings: Settings, provider: Provider, clock: Clock, banner: str | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.provider = provider
        self.clock = clock
        self.main_screen = MainScreen(
            provider,
            clock,
            banner=banner,
            poll_interval=settings.poll_interval,
            log_max_lines=settings.log_max_lines,
        )

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                self.notify(
                    f"Unknown theme {self.settings.theme!r}; using the default. "
                    f"Known: {', '.join(sorted(self.available_themes))}",
                    title="Configuration",
                    severity="warning",
                )
        self.push_screen(self.main_screen)

    async def on_unmount(self) -> None:
        await self.provider.close()

    def on_main_screen_shell_requested(self, event: MainScreen.ShellRequested) -> None:
        try:
            target = self.provider.ssh_target(event.node)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="warning")
            return
        key = f"-i {target.key_path} " if target.key_path else ""
        command = (
            f"ssh {key}-p {target.port} {target.user + '@' if target.user else ''}{target.host}"
        )
        self.notify(
            f"The embedded terminal is not built yet. Meanwhile, in another terminal:\n{command}",
            title=f"Shell on {event.node.name}",
            timeout=10,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(all_keys(), dict(self.settings.keymap)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key and its binding id", self.action_help)
        yield SystemCommand("Refresh", "Fetch jobs and nodes now", self.main_screen.refresh_now)
