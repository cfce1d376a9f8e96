"""The one mapping from errors to messages and exit statuses, used by every command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from tui.core.errors import ClusterdeckError, ConfigError

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_CONFIG = 2
"""A bad config file or command line (argparse exits 2 too)."""
EXIT_INTERRUPTED = 130
EXIT_CONNECTION = 3
"""get/put/watch: the node could not be reached or the connection dropped for good."""
EXIT_REMOTE_FILE = 4
"""get/put/watch: the remote refused (no such file, permission denied, disk full)."""
EXIT_CHECKSUM = 5
"""get/put/watch: the copy's size or SHA-256 differs from the source's."""
EXIT_LOCAL_FILE = 6
"""get/put/watch: a local file problem (permission, disk full, exists already)."""


def transfer_status(error: ClusterdeckError) -> int:
    """The exit status of a failed transfer (see the constants above)."""
    from tui.core.errors import RemoteFileError, SshError
    from tui.core.transfers.model import ChecksumMismatch, TransferError

    if isinstance(error, TransferError) and error.first is not None:
        return transfer_status(error.first)
    if isinstance(error, ChecksumMismatch):
        return EXIT_CHECKSUM
    if isinstance(error, RemoteFileError):
        return EXIT_REMOTE_FILE
    if isinstance(error, SshError):
        return EXIT_CONNECTION
    if isinstance(error, TransferError):
        return EXIT_LOCAL_FILE
    return EXIT_PROBLEM


def run_reporting(action: Callable[[], int], *, err: TextIO | None = None) -> int:
    """`action()`'s exit status, or the status of the error it raised, after printing it.

    ConfigError: 2, `clusterdeck: file:line: what`; another ClusterdeckError: 1,
    `clusterdeck: title: message`; Ctrl+C: 130, silently.
    """
    err = err or sys.stderr
    try:
        return action()
    except ConfigError as exc:
        print(f"clusterdeck: {exc.message}", file=err)
        return EXIT_CONFIG
    except ClusterdeckError as exc:
        print(f"clusterdeck: {exc.title}: {exc.message}", file=err)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
