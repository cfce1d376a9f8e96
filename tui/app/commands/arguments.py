"""The options of the `clusterdeck` subcommands, kept apart from the commands' heavy imports.

Options that the top-level parser also has (`--config`, `--provider`, `--demo`) default to
SUPPRESS here, so `clusterdeck --config X serve` and `clusterdeck serve --config X` both work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_config_option(parser: argparse.ArgumentParser, help: str = "config file to use") -> None:
    """`--config PATH`."""
    parser.add_argument("--config", metavar="PATH", type=Path, default=argparse.SUPPRESS, help=help)


def add_provider_option(parser: argparse.ArgumentParser, help: str) -> None:
    """`--provider NAME`."""
    parser.add_argument("--provider", metavar="NAME", default=argparse.SUPPRESS, help=help)


def add_demo_option(parser: argparse.ArgumentParser) -> None:
    """`--demo`."""
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the embedded demo cluster, ignoring the config's providers",
    )


TUNNEL_DESCRIPTION = (
    "Forward local ports to a job's node over SSH, without the dashboard, until Ctrl+C or the "
    "job ends. Tunnels reconnect after a dropped connection."
)


def add_tunnel_options(parser: argparse.ArgumentParser) -> None:
    """The options of `clusterdeck tunnel` (checked further by `tunnel.tunnel_options`)."""
    parser.add_argument("--job", required=True, help="job id, name or provider:id")
    parser.add_argument("--node", help="node name (default: the job's first node, its master)")
    parser.add_argument(
        "-L",
        dest="local",
        action="append",
        default=[],
        metavar="[BIND:]PORT:HOST:HOSTPORT",
        help="forward local PORT (0: any free port) to HOST:HOSTPORT as seen from the node",
    )
    parser.add_argument(
        "-D",
        dest="dynamic",
        action="append",
        default=[],
        metavar="[BIND:]PORT",
        help="SOCKS5/4 proxy on local PORT, connecting from the node",
    )
    add_provider_option(parser, "which configured provider to use")
    parser.add_argument(
        "--poll",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between checks that the job still runs (default: 10)",
    )


SERVE_DESCRIPTION = (
    "Serve the dashboard, embedded terminals included, to a web browser. Each browser tab runs "
    "its own dashboard process."
)


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The options of `clusterdeck serve`."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, loopback only; anything else "
        "lets other machines reach a shell-capable dashboard)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"TCP port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    add_config_option(parser)
    add_provider_option(parser, "show only the provider configured as NAME")
    add_demo_option(parser)


def port_number(text: str) -> int:
    """A TCP port 0..65535, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {value}")
    return value


FILES_EPILOG = (
    "JOB[:NODE]:PATH names a job (id, name or provider:id), optionally one of its nodes "
    "(default: the master) and a path as the node's SFTP server sees it (relative: from the "
    "home directory; on the demo, the job's directory). Exit status: 0 done, 1 a problem, "
    "2 bad arguments or config, 3 connection failed, 4 remote file error (missing, permission "
    "denied, disk full), 5 size or SHA-256 mismatch, 6 local file error, 130 interrupted."
)


def add_transfer_options(parser: argparse.ArgumentParser) -> None:
    """Options `get`, `put` and `watch` share."""
    parser.add_argument(
        "--conflict",
        choices=("ask", "skip", "overwrite", "rename"),
        help="when the destination exists (default: [files] on_conflict, else ask; "
        "without a terminal, ask fails the file)",
    )
    parser.add_argument(
        "--verify",
        choices=("sha256", "size"),
        help="check size and SHA-256 (default) or the size only ([files] verify)",
    )
    parser.add_argument(
        "--api",
        action="store_true",
        help="through the provider's API instead of SSH (Rescale: the job's output files; "
        "put stores an input file and prints its id)",
    )


def add_get_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="JOB[:NODE]:REMOTE", help="remote file or folder")
    parser.add_argument(
        "dest",
        metavar="LOCAL",
        nargs="?",
        help="local file or folder (default: <[files] download_dir>/<job>)",
    )
    add_transfer_options(parser)


def add_put_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="LOCAL", help="local file or folder")
    parser.add_argument("dest", metavar="JOB[:NODE]:REMOTE", help="remote file or folder")
    add_transfer_options(parser)


def add_watch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB[:NODE]", help="the job (and node) to watch")
    parser.add_argument(
        "dest", metavar="LOCALDIR", nargs="?", help="where the files go (default: as get)"
    )
    parser.add_argument(
        "--remote", default=".", metavar="PATH", help="remote folder to watch (default: .)"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, metavar="S", help="seconds between polls"
    )
    add_transfer_options(parser)
