"""`make_app`: the one factory for the app and its services (CLI, tests and screenshots use it)."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.app.banner import top_line
from tui.core.clock import Clock, SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings, ensure_state_dir
from tui.core.errors import ConfigError, HostKeyChanged, HostKeyUnknown
from tui.core.providers.base import Provider, ProviderContext, provider_class
from tui.core.providers.group import ProviderGroup

if TYPE_CHECKING:
    from tui.app.app import ClusterdeckApp
    from tui.core.ssh.pool import SshPool


def choose_provider(settings: Settings, only: str | None = None) -> ProviderConfig:
    """The provider to show: `only` by name, else the first configured one, else the demo."""
    demo = ProviderConfig(
        "demo", "demo", {"seed": settings.demo.seed, "speed": settings.demo.speed}
    )
    configured = list(settings.providers)
    if only is not None:
        if only == "demo" and not any(p.name == "demo" for p in configured):
            return demo
        for provider in configured:
            if provider.name == only:
                return provider
        names = ", ".join(p.name for p in configured) or "none besides demo"
        raise ConfigError(f"no provider named {only!r}; configured providers: {names}")
    if configured:
        return configured[0]
    if settings.demo.enabled:
        return demo
    raise ConfigError(
        "no provider is enabled; add a [providers.NAME] section or set `enabled = true` "
        "under [demo]",
        path=str(settings.config_path) if settings.config_path else None,
    )


def build_provider(
    settings: Settings, chosen: ProviderConfig, clock: Clock, pool: SshPool | None = None
) -> Provider:
    """Create one configured provider (sharing `pool`); its errors point at its config section."""
    context = ProviderContext(
        settings.state_dir, settings.known_hosts_path, clock, chosen.name, pool=pool
    )
    try:
        return provider_class(chosen.type).create(chosen.options, context)
    except ConfigError as exc:
        raise ConfigError(
            f"[providers.{chosen.name}] {exc.message}",
            path=str(settings.config_path) if settings.config_path else None,
            line=_error_line(settings, chosen, exc),
        ) from None


def _error_line(settings: Settings, chosen: ProviderConfig, exc: ConfigError) -> int | None:
    """The line `config check` names for `exc` (the provider's header when not found)."""
    from tui.core.config.check import error_line
    from tui.core.config.readfile import read_config_text

    try:
        text = read_config_text(settings.config_path) if settings.config_path else ""
    except (OSError, UnicodeDecodeError, ConfigError):
        text = ""
    return error_line(chosen, exc, text)


def check_providers(settings: Settings, *, only: str | None = None) -> None:
    """Raise what `make_app` would raise for `settings` (state dir, providers), building no app."""
    ensure_state_dir(settings.state_dir)
    shown = settings.providers if only is None and len(settings.providers) > 1 else None
    for chosen in shown or (choose_provider(settings, only),):
        build_provider(settings, chosen, SystemClock())


def make_app(
    settings: Settings, *, clock: Clock | None = None, only: str | None = None
) -> ClusterdeckApp:
    """Build the services for `settings` and the app that shows them."""
    from tui.app.app import ClusterdeckApp
    from tui.core.clipboard.bridge import ClipboardBridge
    from tui.core.ssh import SshPool, TrustChoice
    from tui.core.transfers import Conflict, TransferManager, Verify
    from tui.core.tunnels import TunnelManager
    from tui.core.tunnels.store import provider_resolver, provider_respec
    from tui.core.watch import JobWatcher

    clock = clock or SystemClock()
    ensure_state_dir(settings.state_dir)
    app: ClusterdeckApp | None = None

    async def ask_passphrase(key_path: Path, error: str | None = None) -> str | None:
        return None if app is None else await app.ask_passphrase(key_path, error)

    async def ask_host_key(request: HostKeyUnknown) -> TrustChoice | None:
        return None if app is None else await app.ask_host_key(request)

    def host_key_changed(error: HostKeyChanged) -> Awaitable[None] | None:
        return None if app is None else app.alert_host_key_changed(error)

    pool = SshPool(
        known_hosts_paths=[Path.home() / ".ssh" / "known_hosts", settings.known_hosts_path],
        passphrase_callback=ask_passphrase,
        host_key_callback=ask_host_key,
        host_key_alert=host_key_changed,
    )
    if only is None and len(settings.providers) > 1:
        members = [(p.name, build_provider(settings, p, clock, pool)) for p in settings.providers]
        provider: Provider = ProviderGroup(members)
        chosen = ProviderConfig("all", "several")
    else:
        chosen = choose_provider(settings, only)
        provider = build_provider(settings, chosen, clock, pool)
    banner = top_line(settings, chosen, only)
    note = f" ({chosen.type})" if banner is None and chosen.type != "several" else ""
    tunnels = TunnelManager(
        pool,
        clock=clock,
        state_path=settings.state_dir / "tunnels.json",
        resolver=provider_resolver(provider),
        respec=provider_respec(provider),
    )
    bridge = ClipboardBridge(
        prefer=settings.clipboard_backend,
        osc52_writer=lambda text: app.osc52_copy(text) if app is not None else None,
        clock=clock,
    )
    watcher = JobWatcher(
        provider, clock=clock, tunnels=tunnels, trust=pool, poll_interval=settings.poll_interval
    )
    transfers = TransferManager(
        pool,
        conflict=Conflict(settings.files_conflict),
        verify=Verify(settings.files_verify),
    )
    app = ClusterdeckApp(
        transfers=transfers,
        settings=settings,
        provider=provider,
        pool=pool,
        bridge=bridge,
        tunnels=tunnels,
        watcher=watcher,
        clock=clock,
        banner=banner,
        banner_note=note,
        status_note=f"clipboard: {bridge.short_description}",
        provider_type=chosen.type,
    )
    return app
