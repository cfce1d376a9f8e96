"""The options of a `[providers.NAME]` section with `type = "slurm"`, and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tui.core.providers.base import Option
from tui.core.providers.problems import Problems, missing_key_file
from tui.core.providers.slurm.shell import NODE_SHELLS

MAX_HISTORY_DAYS = 365

OPTIONS: Mapping[str, Option] = {
    "host": Option(str, help="the login host's name or address (or give ssh_alias)"),
    "ssh_alias": Option(str, help="a Host alias from ~/.ssh/config for the login host"),
    "user": Option(str, help="login user (default: ~/.ssh/config, else your local name)"),
    "port": Option(int, help="the login host's SSH port (default 22)"),
    "key": Option(str, help="private key file for the login host and the compute nodes"),
    "all_users": Option(bool, help="list every user's jobs, not only yours (default false)"),
    "poll_interval": Option(
        float, help="seconds between job checks while following a log (default 2)"
    ),
    "node_port": Option(int, help="SSH port of the compute nodes (default 22)"),
    "bin_dir": Option(
        str, help="where squeue, sinfo and scancel are, if not on the login shell's PATH"
    ),
    "history_days": Option(
        int, help="days of finished jobs to list from sacct (default 7; 0: none)"
    ),
    "node_shell": Option(
        str,
        help="how shells reach a compute node: auto (ssh, else srun --overlap), ssh, srun",
        choices=NODE_SHELLS,
    ),
}


def check_options(
    *,
    host: str | None,
    ssh_alias: str | None,
    port: int,
    node_port: int,
    poll_interval: float,
    history_days: int,
    node_shell: str,
    key: str | Path | None,
) -> None:
    """Raise the bad option value found, or all of them as one `ConfigProblems`."""
    problems = Problems()
    if bool(host) == bool(ssh_alias):
        problems.add("give either `host` or `ssh_alias` (not both)")
    for key_name, value in (("port", port), ("node_port", node_port)):
        if not 1 <= value <= 65535:
            problems.add(f"`{key_name}` must be from 1 to 65535 (got {value})")
    if poll_interval <= 0:
        problems.add("`poll_interval` must be positive")
    if not 0 <= history_days <= MAX_HISTORY_DAYS:
        problems.add(
            f"`history_days` must be from 0 (no finished jobs from sacct) to "
            f"{MAX_HISTORY_DAYS} (got {history_days})"
        )
    if node_shell not in NODE_SHELLS:
        choices = ", ".join(NODE_SHELLS)
        problems.add(f"`node_shell` must be one of {choices} (got {node_shell!r})")
    missing = missing_key_file("key", key)
    if missing:
        problems.add(missing)
    problems.raise_any()
