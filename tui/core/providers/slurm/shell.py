"""Shells on compute nodes through the login host, with a clear word when the site refuses them."""

from __future__ import annotations

from tui.core.errors import (
    ClusterdeckError,
    SshAuthError,
    SshDisconnected,
    SshUnreachable,
)
from tui.core.models import Node, SshTarget
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend


class NodeAccessDenied(SshAuthError):
    """A compute node refused the SSH login (sites often allow it only during a job there)."""

    title = "SSH to compute node refused"


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


class NodeShellBackend(SshShellBackend):
    """`SshShellBackend` whose start errors explain a compute node's refusal."""

    def __init__(
        self,
        pool: SshPool,
        target: SshTarget,
        node: Node,
        *,
        term_type: str = "xterm-256color",
        command: str | None = None,
    ) -> None:
        super().__init__(pool, target, term_type=term_type, command=command)
        self.node = node

    async def start(self, cols: int, rows: int) -> None:
        """Open the shell; a refusal raises `NodeAccessDenied` with the likely reason."""
        try:
            await super().start(cols, rows)
        except ClusterdeckError as exc:
            raise node_access_error(self.node, self.target, exc) from exc
