"""Compute-node SSH policies for the Slurm tests: a node sshd that refuses the test user.

Sites without pam_slurm_adopt let nobody SSH to a compute node; the only way in is
`srun --overlap` from the login host. `refusing_node_sshd` stands in for such a node's sshd
(it answers, then denies the user); a free port with nothing on it stands in for nodes that run
no sshd at all (`closed_port`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.sshd import SshdServer, free_port


@contextlib.contextmanager
def refusing_node_sshd(cluster: SlurmCluster, base: Path) -> Iterator[SshdServer]:
    """An sshd on loopback (the nodes' NodeAddr) that denies the cluster's user."""
    server = SshdServer(base, user=cluster.user)
    with server.config.open("a") as out:
        out.write(f"DenyUsers {cluster.user}\n")
    server.start()
    try:
        yield server
    finally:
        server.close()


def closed_port() -> int:
    """A loopback port nothing listens on: a node without sshd."""
    return free_port()
