"""The `clusterdeck` command line, and `make_app`, the one factory for the app and its services."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tui import __version__
from tui.core.clock import Clock, SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import (
    CONFIG_ENV,
    Settings,
    default_config_path,
    default_state_dir,
    ensure_state_dir,
    load_settings,
)
from tui.core.errors import ClusterdeckError, ConfigError, HostKeyChanged, HostKeyUnknown
from tui.core.providers.base import Provider, ProviderContext, provider_class
from tui.core.providers.group import ProviderGroup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tui.app.app import ClusterdeckApp

NO_CONFIG_BANNER = (
    "Demo cluster (no config file yet): to add your clusters, see README > Configuration"
)


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


def build_provider(settings: Settings, chosen: ProviderConfig, clock: Clock) -> Provider:
    """Create one configured provider; its semantic errors point at its config section."""
    context = ProviderContext(settings.state_dir, settings.known_hosts_path, clock, chosen.name)
    try:
        return provider_class(chosen.type).create(chosen.options, context)
    except ConfigError as exc:
        raise ConfigError(
            f"[providers.{chosen.name}] {exc.message}",
            path=str(settings.config_path) if settings.config_path else None,
            line=chosen.line,
        ) from None


def make_app(
    settings: Settings, *, clock: Clock | None = None, only: str | None = None
) -> ClusterdeckApp:
    """Build the services for `settings` and the app that shows them."""
    from tui.app.app import ClusterdeckApp
    from tui.core.clipboard.bridge import ClipboardBridge
    from tui.core.ssh import SshPool, TrustChoice
    from tui.core.tunnels import TunnelManager
    from tui.core.tunnels.store import provider_resolver

    clock = clock or SystemClock()
    ensure_state_dir(settings.state_dir)
    if only is None and len(settings.providers) > 1:
        members = [(p.name, build_provider(settings, p, clock)) for p in settings.providers]
        provider: Provider = ProviderGroup(members)
        chosen = ProviderConfig("all", "several")
    else:
        chosen = choose_provider(settings, only)
        provider = build_provider(settings, chosen, clock)
    banner = NO_CONFIG_BANNER if settings.config_path is None else None
    note = f" ({chosen.type})" if banner is None and chosen.type != "several" else ""
    app: ClusterdeckApp | None = None

    async def ask_passphrase(key_path: Path) -> str | None:
        return None if app is None else await app.ask_passphrase(key_path)

    async def ask_host_key(request: HostKeyUnknown) -> TrustChoice | None:
        return None if app is None else await app.ask_host_key(request)

    def host_key_changed(error: HostKeyChanged) -> None:
        if app is not None:
            app.alert_host_key_changed(error)

    pool = SshPool(
        known_hosts_paths=[Path.home() / ".ssh" / "known_hosts", settings.known_hosts_path],
        passphrase_callback=ask_passphrase,
        host_key_callback=ask_host_key,
        host_key_alert=host_key_changed,
    )
    provider.use_pool(pool)
    tunnels = TunnelManager(
        pool,
        clock=clock,
        state_path=settings.state_dir / "tunnels.json",
        resolver=provider_resolver(provider),
    )
    bridge = ClipboardBridge(
        prefer=settings.clipboard_backend,
        osc52_writer=lambda text: app.osc52_copy(text) if app is not None else None,
        clock=clock,
    )
    app = ClusterdeckApp(
        settings=settings,
        provider=provider,
        pool=pool,
        bridge=bridge,
        tunnels=tunnels,
        clock=clock,
        banner=banner,
        banner_note=f"{note} · clipboard: {bridge.short_description}",
        provider_type=chosen.type,
    )
    return app


def _tunnel_command(argv: list[str]) -> int:
    """`clusterdeck tunnel ...`: the tunnel manager without the UI."""
    from tui.app.commands.tunnel import run_tunnel_command

    try:
        settings = resolve_settings(build_parser().parse_args([]))
    except ConfigError as exc:
        print(f"clusterdeck: {exc.message}", file=sys.stderr)
        return 2
    clock = SystemClock()

    def provider_factory(only: str | None) -> Provider:
        ensure_state_dir(settings.state_dir)
        return build_provider(settings, choose_provider(settings, only), clock)

    return run_tunnel_command(argv, settings=settings, provider_factory=provider_factory)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the README's option table test)."""
    parser = argparse.ArgumentParser(
        prog="clusterdeck",
        description="A terminal dashboard for HPC jobs: jobs, nodes, live logs and SSH.",
        epilog=f"Config file: {default_config_path()} (or --config / ${CONFIG_ENV}). "
        "With no config file the embedded demo cluster is shown.",
    )
    parser.add_argument("--version", action="version", version=f"clusterdeck {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help=f"config file to use (default: ${CONFIG_ENV}, else {default_config_path()})",
    )
    parser.add_argument(
        "--provider",
        metavar="NAME",
        help="show only the provider configured as [providers.NAME] (or 'demo')",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="show the embedded demo cluster, ignoring the config's providers",
    )
    return parser


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Settings from the command line, the environment and the config file."""
    path: Path | None = args.config
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    if path is None and default_config_path().is_file():
        path = default_config_path()
    state_dir = default_state_dir()
    settings = load_settings(path, state_dir=state_dir) if path else Settings(state_dir=state_dir)
    if args.demo:
        settings = replace(settings, demo=replace(settings.demo, enabled=True))
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        from tui.app.commands.serve import run_serve_command

        return run_serve_command(argv[1:])
    if argv[:1] == ["tunnel"]:
        return _tunnel_command(argv[1:])
    if argv[:1] in (["init"], ["config"]):
        from tui.app.commands.config import run_config_command, run_init_command

        return (run_init_command if argv[0] == "init" else run_config_command)(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = resolve_settings(args)
        app = make_app(settings, only="demo" if args.demo else args.provider)
    except ConfigError as exc:
        print(f"clusterdeck: {exc.message}", file=sys.stderr)
        return 2
    except ClusterdeckError as exc:
        print(f"clusterdeck: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        app.run()
    except KeyboardInterrupt:
        return 130
    return app.return_code or 0
