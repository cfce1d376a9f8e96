"""File transfers over SFTP on the pooled connection: plan, copy, resume, verify, rename.

`TransferManager` runs them in the background with progress events; `TransferRun` is one run.
"""

from __future__ import annotations

from tui.core.transfers.manager import Transfer, TransferManager
from tui.core.transfers.model import (
    ChecksumMismatch,
    Conflict,
    Direction,
    Progress,
    TransferError,
    TransferSpec,
    TransferState,
    Verify,
)
from tui.core.transfers.runner import Outcome, TransferRun

__all__ = [
    "ChecksumMismatch",
    "Conflict",
    "Direction",
    "Outcome",
    "Progress",
    "Transfer",
    "TransferError",
    "TransferManager",
    "TransferRun",
    "TransferSpec",
    "TransferState",
    "Verify",
]
