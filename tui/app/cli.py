"""The `clusterdeck` command line: the dashboard, or one of the subcommands.

Every command's errors go through `exits.run_reporting`, so the exit statuses are the same
everywhere: 0 fine, 1 a problem, 2 a bad config or command line, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tui import __version__
from tui.app.commands.arguments import (
    FILES_EPILOG,
    SERVE_DESCRIPTION,
    TUNNEL_DESCRIPTION,
    add_config_option,
    add_demo_option,
    add_get_options,
    add_provider_option,
    add_put_options,
    add_serve_options,
    add_tunnel_options,
    add_watch_options,
)
from tui.app.commands.exits import run_reporting
from tui.core.config.settings import (
    CONFIG_ENV,
    Settings,
    default_config_path,
    default_state_dir,
    load_settings,
)
from tui.core.errors import TunnelError

DESCRIPTION = (
    "A terminal dashboard for HPC jobs: jobs, nodes, live logs and SSH. Without a COMMAND it "
    "starts the dashboard."
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the dashboard's options and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="clusterdeck",
        description=DESCRIPTION,
        epilog=f"Config file: {default_config_path()} (or --config / ${CONFIG_ENV}). "
        "With no config file the embedded demo cluster is shown. "
        "`clusterdeck COMMAND --help` describes a command.",
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
    parser.set_defaults(run=_dashboard)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="write a commented starter config (never overwrites one)",
        description="Write a commented starter config (the demo on, other providers as "
        "examples). An existing file is never overwritten (exit 1).",
    )
    add_config_option(init, "where to write it")
    init.set_defaults(run=_init)

    config = commands.add_parser(
        "config",
        help="check: every problem in the config file; path: where files live",
        description="Config file tools.",
    )
    config_commands = config.add_subparsers(title="commands", metavar="{check,path}", required=True)
    check = config_commands.add_parser(
        "check",
        help="validate the config; print every problem",
        description="Print every problem in the config file as file:line: what, how to fix "
        "(exit 2), building each provider as the app would; or `config OK: ...` (exit 0).",
    )
    add_config_option(check, "the file to check")
    check.set_defaults(run=_config_check)
    where = config_commands.add_parser(
        "path",
        help="print where the config and state files live",
        description="Print where the config file, state dir, known_hosts and demo key live.",
    )
    add_config_option(where, "the config file to use")
    where.set_defaults(run=_config_path)

    tunnel = commands.add_parser(
        "tunnel",
        help="forward local ports to a job's node, without the dashboard",
        description=TUNNEL_DESCRIPTION,
    )
    add_tunnel_options(tunnel)
    add_config_option(tunnel)
    tunnel.set_defaults(run=_tunnel, usage_error=tunnel.error)

    serve = commands.add_parser(
        "serve", help="serve the dashboard to a web browser", description=SERVE_DESCRIPTION
    )
    add_serve_options(serve)
    serve.set_defaults(run=_serve)

    from tui.app.commands.sshconfig import SSH_CONFIG_DESCRIPTION, add_ssh_config_options

    ssh_config = commands.add_parser(
        "ssh-config",
        help="~/.ssh/config Host blocks for a job's node (for ssh, VS Code, scp, rsync)",
        description=SSH_CONFIG_DESCRIPTION,
    )
    add_ssh_config_options(ssh_config)
    add_config_option(ssh_config)
    add_provider_option(ssh_config, "which configured provider to use")
    add_demo_option(ssh_config)
    ssh_config.set_defaults(run=_ssh_config)
    for name, adder, summary in (
        ("get", add_get_options, "copy a file or folder from a job's node (checked, resumable)"),
        ("put", add_put_options, "copy a file or folder to a job's node (checked, resumable)"),
        ("watch", add_watch_options, "download a job's new output files until it ends"),
    ):
        command = commands.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=FILES_EPILOG,
        )
        adder(command)
        add_config_option(command)
        add_provider_option(command, "look for the job only in [providers.NAME]")
        command.set_defaults(run=_files, files_command=name)

    rescale = commands.add_parser(
        "rescale",
        help="check: whose API key, which platform, how many jobs",
        description="Rescale tools.",
    )
    rescale_commands = rescale.add_subparsers(title="commands", metavar="{check}", required=True)
    rescale_check = rescale_commands.add_parser(
        "check",
        help="check the Rescale API key and platform",
        description="Show who the Rescale API key belongs to, the platform and how many jobs "
        "it sees, or exactly what is wrong. Exit 0 OK, 1 a problem, 2 a config error. "
        "Without a rescale provider in the config, Rescale's defaults are used "
        "(RESCALE_API_KEY, ~/.config/rescale/apiconfig, region platform).",
    )
    add_config_option(rescale_check)
    add_provider_option(rescale_check, "check only the provider configured as [providers.NAME]")
    rescale_check.set_defaults(run=_rescale_check)
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
    args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    status: int = run_reporting(lambda: args.run(args))
    return status


# --- the commands ----------------------------------------------------------------------------


def _dashboard(args: argparse.Namespace) -> int:
    from tui.app.factory import make_app

    app = make_app(resolve_settings(args), only="demo" if args.demo else args.provider)
    app.run()
    return app.return_code or 0


def _init(args: argparse.Namespace) -> int:
    from tui.app.commands.config import config_file, init_config

    return init_config(config_file(args.config))


def _config_check(args: argparse.Namespace) -> int:
    from tui.app.commands.config import config_file, run_check

    return run_check(config_file(args.config))


def _config_path(args: argparse.Namespace) -> int:
    from tui.app.commands.config import config_file, print_paths

    return print_paths(config_file(args.config))


def _tunnel(args: argparse.Namespace) -> int:
    from tui.app.commands.tunnel import run_tunnel, tunnel_options
    from tui.app.factory import build_provider, choose_provider
    from tui.core.clock import SystemClock
    from tui.core.config.settings import ensure_state_dir
    from tui.core.providers.base import Provider

    try:
        options = tunnel_options(args)
    except TunnelError as exc:
        args.usage_error(exc.message)  # exits 2, like argparse's own errors
    settings = resolve_settings(args)
    clock = SystemClock()

    def provider_factory(only: str | None) -> Provider:
        ensure_state_dir(settings.state_dir)
        return build_provider(settings, choose_provider(settings, only), clock)

    return run_tunnel(options, settings=settings, provider_factory=provider_factory)


def _files(args: argparse.Namespace) -> int:
    from tui.app.commands.files import run_files
    from tui.app.factory import build_provider, choose_provider
    from tui.core.clock import SystemClock
    from tui.core.config.settings import ensure_state_dir
    from tui.core.providers.base import Provider

    settings = resolve_settings(args)

    def provider_factory(only: str | None) -> Provider:
        ensure_state_dir(settings.state_dir)
        return build_provider(settings, choose_provider(settings, only), SystemClock())

    return run_files(args, settings=settings, provider_factory=provider_factory)


def _serve(args: argparse.Namespace) -> int:
    from tui.app.commands.serve import run_serve

    return run_serve(args, resolve_settings(args))


def _rescale_check(args: argparse.Namespace) -> int:
    from tui.app.commands.rescale import run_rescale_check

    return run_rescale_check(resolve_settings(args), only=args.provider)


def _ssh_config(args: argparse.Namespace) -> int:
    from tui.app.commands.sshconfig import run_ssh_config
    from tui.app.factory import build_provider, choose_provider
    from tui.core.clock import SystemClock
    from tui.core.config.settings import ensure_state_dir
    from tui.core.providers.base import Provider
    from tui.core.providers.group import ProviderGroup

    settings = resolve_settings(args)
    only = "demo" if args.demo else getattr(args, "provider", None)
    clock = SystemClock()
    ensure_state_dir(settings.state_dir)
    if only is None and len(settings.providers) > 1:
        members = [(p.name, build_provider(settings, p, clock)) for p in settings.providers]
        provider: Provider = ProviderGroup(members)
        demo = False
    else:
        chosen = choose_provider(settings, only)
        provider = build_provider(settings, chosen, clock)
        demo = chosen.type == "demo"
    return run_ssh_config(args, settings=settings, provider_factory=lambda: provider, demo=demo)
