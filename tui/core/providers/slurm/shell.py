"""Shells on compute nodes: SSH through the login host, or `srun --overlap` in the allocation.

`node_shell` picks the route: `ssh` (sites with pam_slurm_adopt), `srun` (sites whose compute
nodes take no SSH logins), or `auto`: SSH first, then `srun` when the node refuses or does not
answer. The `srun` route is a PTY channel on the pooled login connection running
`srun --jobid=J --overlap -w NODE --pty $SHELL -l`: the login sshd's PTY passes window-size
changes to srun, which passes them on to the step. `route` says which way was taken and why.
Before the PTY opens, a `srun ... true` step checks that Slurm lets us in: a refusal (someone
else's job, a site that disallows steps) or a missing srun becomes `SrunRefused`/`SrunMissing`
naming every route tried, instead of a tab that shows one line of srun output and ends.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tui.core.errors import (
    ClusterdeckError,
    ProviderError,
    SshAuthError,
    SshDisconnected,
    SshTimeout,
    SshUnreachable,
)
from tui.core.models import Node, SshTarget
from tui.core.printable import printable
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend

NODE_SHELLS = ("auto", "ssh", "srun")
"""The values of a Slurm provider's `node_shell` setting."""
SLURM_JOB_ID = re.compile(r"\d+(_\d+)?")
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
REASON_CHARS = 60
"""The refusal quoted in the route ("ssh to node refused: ...") is cut to this length."""
SRUN_CHECK_SECONDS = 15.0
"""How long the `srun ... true` check may take before the step counts as not starting."""
SRUN_MESSAGE_CHARS = 300
"""srun's own message is quoted up to this length."""


class NodeAccessDenied(SshAuthError):
    """A compute node refused the SSH login (sites often allow it only during a job there)."""

    title = "SSH to compute node refused"


class NoAllocation(ProviderError):
    """The job has no nodes to open a shell on (pending, or ended)."""

    title = "No allocation"


class SrunRefused(ProviderError):
    """Slurm would not start an `srun --overlap` step in the job (or it did not start in time)."""

    title = "srun into the job refused"


class SrunMissing(ProviderError):
    """The login host has no `srun` where the provider looks for it."""

    title = "srun not found"


def node_access_error(node: Node, target: SshTarget, exc: BaseException) -> ClusterdeckError:
    """The user-facing error for a failed shell on `node` (reached through the login host).

    A refused login (or a node that hangs up during set-up, as pam_slurm_adopt does) becomes
    `NodeAccessDenied`, saying why Slurm sites usually do that; other errors keep their type.
    """
    via = f" through {target.jump}" if target.jump is not None else ""
    who = f"{target.user}@" if target.user else ""
    where = f"{who}{node.name} ({node.host}:{target.port}){via}"
    job = f"job {node.job_id}" if node.job_id else "a job"
    if isinstance(exc, SshAuthError | SshDisconnected) and not isinstance(exc, NodeAccessDenied):
        return NodeAccessDenied(
            f"{where} refused the SSH login. Many Slurm sites allow SSH to a compute node only "
            f"while one of your jobs runs on it (pam_slurm_adopt); is {job} still running on "
            f"{node.name}? Details: {exc}"
        )
    if isinstance(exc, SshUnreachable) and target.jump is not None:
        return SshUnreachable(
            f"{node.name} cannot be reached from the login host {target.jump}: {exc}. The site "
            f"may not run sshd on compute nodes, or allow it only during a job there."
        )
    if isinstance(exc, ClusterdeckError):
        return exc
    return ClusterdeckError(f"cannot open a shell on {where}: {exc}", title="Shell failed")


def srun_command(job_id: str, node: str, *, srun: str = "srun", command: str | None = None) -> str:
    """`srun --jobid=J --overlap -w NODE --pty $SHELL -l` (or `... -lc COMMAND`), quoted.

    Raises:
        ProviderError: the job id or node name is not one Slurm would give (they come from the
            network and end up in a shell command line).
    """
    shell = "$SHELL -l" if command is None else f"$SHELL -lc {shlex.quote(command)}"
    return f"{srun_step(job_id, node, srun=srun)} --pty {shell}"


def srun_step(job_id: str, node: str, *, srun: str = "srun") -> str:
    """`srun --jobid=J --overlap -w NODE` (the caller adds the program), job and node checked."""
    if not SLURM_JOB_ID.fullmatch(job_id) or not NODE_NAME.fullmatch(node):
        raise ProviderError(
            f"refusing to run srun for job {job_id!r} on node {node!r}: not a Slurm job id "
            "and node name",
            title="Shell failed",
        )
    return f"{shlex.quote(srun)} --jobid={job_id} --overlap -w {node}"


def _short(error: ClusterdeckError) -> str:
    """The gist of a refusal, for the route: `Permission denied (publickey)`, `refused`."""
    text = error.message.split(" — ")[0].split(". ")[0]
    text = text.rsplit(": ", 1)[1] if ": " in text else text
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class SrunRoute:
    """How to reach a node inside its job's allocation from the login host."""

    login: SshTarget
    srun: str = "srun"
    """The srun program (with the provider's `bin_dir`)."""


@dataclass(frozen=True)
class Allocation:
    """What the node's job has to enter, as far as Slurm said at the last check."""

    missing: str | None = None
    """Why there is no allocation yet (pending): then nothing is tried."""
    ended: str | None = None
    """Why the allocation is gone (the job ended): srun cannot enter it, ssh may still work."""


AllocationCheck = Callable[[Node], Awaitable[Allocation]]


class NodeShellBackend(SshShellBackend):
    """A shell on a compute node by `policy` ("auto", "ssh", "srun"); `route` says which.

    Start errors explain a node's refusal (`NodeAccessDenied`) or a job without an allocation
    (`NoAllocation`).
    """

    def __init__(
        self,
        pool: SshPool,
        target: SshTarget,
        node: Node,
        *,
        term_type: str = "xterm-256color",
        command: str | None = None,
        policy: str = "ssh",
        srun: SrunRoute | None = None,
        allocation: AllocationCheck | None = None,
        remember: Callable[[Node, str], None] | None = None,
    ) -> None:
        super().__init__(pool, target, term_type=term_type, command=command)
        self.node = node
        self.policy = policy
        self.node_target = target
        self.user_command = command
        self.srun = srun
        self.allocation = allocation
        self.remember = remember
        self._fell_back: str | None = None
        """Why an earlier start fell back to srun: a reconnect goes straight there."""

    def set_command(self, command: str | None) -> None:
        """Run `command` on the node by whichever route the next start takes."""
        self.user_command = command

    def can_persist(self) -> bool:
        """Not through srun: a step's processes (tmux too) end with the step."""
        return self.srun is None or (self.policy != "srun" and self._fell_back is None)

    async def start(self, cols: int, rows: int) -> None:
        """Open the shell by the policy's route (a reconnect after a fallback: srun at once)."""
        self.route = None
        allocation = Allocation() if self.allocation is None else await self.allocation(self.node)
        if allocation.missing is not None:
            raise NoAllocation(allocation.missing)
        if self.srun is not None and (self.policy == "srun" or self._fell_back is not None):
            if allocation.ended is not None:
                raise NoAllocation(allocation.ended)
            await self._start_srun(cols, rows, self._fell_back or 'node_shell = "srun"')
            return
        self.target, self.command = self.node_target, self.user_command
        try:
            await super().start(cols, rows)
        except ClusterdeckError as exc:
            error = node_access_error(self.node, self.node_target, exc)
            if not isinstance(error, NodeAccessDenied | SshUnreachable):
                raise error from exc
            if allocation.ended is not None:  # no allocation for srun to enter either
                raise type(error)(f"{allocation.ended}. {error.message}") from exc
            if self.policy == "ssh" or self.srun is None:
                raise error from exc
            verb = "refused" if isinstance(error, NodeAccessDenied) else "failed"
            self._fell_back = f"ssh to node {verb}: {_short(exc)}"
            await self._start_srun(cols, rows, self._fell_back)
            return
        self._took("ssh", "ssh via the login host")

    async def _start_srun(self, cols: int, rows: int, why: str) -> None:
        assert self.srun is not None
        await self._check_srun(why)
        self.target = self.srun.login
        self.command = srun_command(
            self.node.job_id, self.node.name, srun=self.srun.srun, command=self.user_command
        )
        await super().start(cols, rows)
        self._took("srun", f"srun --overlap ({why})")

    def _took(self, kind: str, route: str) -> None:
        self.route = route
        if self.remember is not None:
            self.remember(self.node, kind)

    async def _check_srun(self, why: str) -> None:
        """Run `srun ... true` in the allocation: raise `SrunRefused`/`SrunMissing` if it fails.

        `why` is the reason srun was tried (an ssh refusal in auto mode is named in the error).
        """
        assert self.srun is not None
        job, node, login = self.node.job_id, self.node.name, self.srun.login
        check = f"{srun_step(job, node, srun=self.srun.srun)} true"
        tried = "" if why.startswith("node_shell") else f"{why}; "
        title = f"No way onto {node} by ssh or srun" if tried else None
        try:
            code, out, err = await self.pool.run(login, check, timeout=SRUN_CHECK_SECONDS)
        except SshTimeout as exc:
            self._fell_back = None  # a retry tries every route again
            raise SrunRefused(
                f"{tried}srun --overlap did not start a step in job {job} on {node} within "
                f"{SRUN_CHECK_SECONDS:.0f} s: is the node or the controller busy?",
                title=title,
            ) from exc
        if code == 0:
            return
        self._fell_back = None
        said = printable((err or out).strip(), SRUN_MESSAGE_CHARS) or f"exit status {code}"
        if code == 127:
            raise SrunMissing(
                f"{tried}srun not found on the login host {login}: {said}. Is Slurm's srun on "
                "the PATH of non-interactive shells there? If it lives elsewhere, set `bin_dir` "
                "in this provider's settings.",
                title=f"No way onto {node}: no ssh, no srun" if tried else None,
            )
        raise SrunRefused(
            f"{tried}srun --overlap refused: {said}. Slurm lets only the job's owner (or an "
            f"operator) start steps in job {job}, and some sites disallow srun steps: check "
            f"that job {job} is yours and still running on {node}, or ask the site which way "
            "onto its compute nodes it allows (ssh with pam_slurm_adopt, srun, salloc).",
            title=title,
        )
