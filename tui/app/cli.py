"""The `clusterdeck` command line: parses arguments and runs the dashboard or a subcommand."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tui import __version__
from tui.app.factory import build_provider, choose_provider, make_app
from tui.core.clock import SystemClock
from tui.core.config.settings import (
    CONFIG_ENV,
    Settings,
    default_config_path,
    default_state_dir,
    ensure_state_dir,
    load_settings,
)
from tui.core.errors import ClusterdeckError, ConfigError
from tui.core.providers.base import Provider


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
