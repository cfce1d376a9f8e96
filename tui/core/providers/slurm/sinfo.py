"""The cluster's nodes from `sinfo --json`, reused for `SINFO_MAX_AGE` seconds.

JSON here, unlike squeue: it is asked at most twice a minute, and sinfo's text form folds node
flags into release-dependent suffixes (`down*`, `idle~`) the JSON names.
"""

from __future__ import annotations

import time

from tui.core.providers.slurm.history import Command
from tui.core.providers.slurm.parse import SlurmNode, parse_sinfo

SINFO_MAX_AGE = 30.0
"""Seconds a `sinfo` answer is reused: node addresses and CPUs rarely change, and the nodes'
live load comes from the app's own samplers, so the controller is asked at most this often."""


class NodeCache:
    """Every node by name, asking sinfo (through `command`) at most every `SINFO_MAX_AGE` s."""

    def __init__(self, command: Command) -> None:
        self._command = command
        self._nodes: dict[str, SlurmNode] = {}
        self._at: float | None = None

    async def nodes(self) -> dict[str, SlurmNode]:
        """Every node by name, from a `sinfo --json` at most `SINFO_MAX_AGE` seconds old."""
        now = time.monotonic()
        if self._at is not None and now - self._at < SINFO_MAX_AGE:
            return self._nodes
        out, _ = await self._command("sinfo", "--json")
        reply = parse_sinfo(out, "sinfo --json")
        self._nodes = {node.name: node for node in reply.nodes}
        self._at = time.monotonic()
        return self._nodes
