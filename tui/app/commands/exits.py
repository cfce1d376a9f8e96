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
