"""Slurm commands on the login host: where they are, and what their failures mean."""

from __future__ import annotations

from tui.core.errors import ProviderError, ProviderUnavailable
from tui.core.models import SshTarget

COMMAND_TIMEOUT = 60.0
"""Seconds a Slurm command may take (squeue waits ~MessageTimeout for a dead controller)."""


def program_path(bin_dir: str | None, program: str) -> str:
    """`program` in `bin_dir` when given, else as found on the login shell's PATH."""
    return f"{bin_dir.rstrip('/')}/{program}" if bin_dir else program


def command_error(
    command: str,
    code: int,
    detail: str,
    *,
    login: SshTarget,
    doing: str,
    bin_dir: str | None,
    provider: str,
) -> ProviderError:
    """The error for `command` exiting `code` with `detail` (its stderr, else stdout)."""
    program = next(w for w in command.split() if w != "env" and "=" not in w)
    detail = detail.strip()[:400] or "no message"
    if code == 127:
        fix = f"check `bin_dir` ({bin_dir})" if bin_dir else "set `bin_dir`"
        return ProviderUnavailable(
            f"`{program}` was not found on the login host {login} (exit 127: {detail}). "
            f"Is Slurm installed there and on the PATH of non-interactive shells? "
            f"If it lives elsewhere, {fix} in [providers.{provider}].",
            title="Slurm command not found",
        )
    if "--json" in command and ("unrecognized option" in detail or "invalid option" in detail):
        return ProviderError(
            f"Slurm on {login} is too old for `{program} --json` (needs 21.08 or newer): {detail}",
            title="Slurm too old",
        )
    if "controller" in detail.lower() or "Socket timed out" in detail:
        return ProviderUnavailable(
            f"{doing} on {login} failed: {detail} — is slurmctld running?",
            title="Slurm controller unavailable",
        )
    return ProviderError(f"{doing} on {login} failed (exit {code}): {detail}")
