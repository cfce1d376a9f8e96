"""`clusterdeck ssh-config`: Host blocks for a job's node, for your own ssh, VS Code, scp, rsync.

    clusterdeck ssh-config --job 4242 [--node node07] [--write ~/.ssh/clusterdeck.conf]

Prints the blocks (or merges them into the `--write` file, replacing only clusterdeck's own
blocks). Without `--job`: the master node of every running job. Exit 0 fine, 1 a problem (no
such job or node, a node without an address), 2 a bad config or command line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from tui.core.config.settings import Settings
from tui.core.errors import ProviderError
from tui.core.models import Job, JobState, Node
from tui.core.printable import inert
from tui.core.providers.base import Provider
from tui.core.sshconfig.blocks import HostBlock, render_blocks
from tui.core.sshconfig.build import TrustFiles, node_blocks
from tui.core.sshconfig.write import DEFAULT_FILE, write_blocks

SSH_CONFIG_DESCRIPTION = (
    "Print ~/.ssh/config Host blocks that reach a job's node (its master unless --node) with "
    "your own ssh, VS Code Remote-SSH, scp or rsync: HostName, Port, User, IdentityFile, "
    "ProxyJump through the login host, the host keys clusterdeck trusts, and for Slurm sites "
    "whose nodes take no SSH logins a RemoteCommand running srun --overlap. --write merges them "
    f"into a file for `Include` (e.g. {DEFAULT_FILE}), replacing only clusterdeck's own blocks."
)
INCLUDE_HINT = "add `Include {path}` at the top of ~/.ssh/config (before any Host line)"


def add_ssh_config_options(parser: argparse.ArgumentParser) -> None:
    """The options of `clusterdeck ssh-config`."""
    parser.add_argument("--job", help="job id, name or provider:id (default: every running job)")
    parser.add_argument("--node", help="node name (default: the job's first node, its master)")
    parser.add_argument(
        "--write",
        metavar="PATH",
        type=Path,
        help=f"merge the blocks into PATH (0600) instead of printing them, e.g. {DEFAULT_FILE}",
    )


def trust_files(settings: Settings) -> TrustFiles:
    """The known_hosts files the app trusts (the same as its SSH pool's)."""
    app = settings.known_hosts_path
    return TrustFiles(
        (Path.home() / ".ssh" / "known_hosts", app), app.with_name(f"{app.name}.jobs")
    )


def pick_job(jobs: list[Job], wanted: str) -> Job:
    """The job named `wanted` (its key, id or name)."""
    matches = [j for j in jobs if wanted in {j.key, j.id, j.name}]
    if not matches:
        known = ", ".join(f"{j.name} ({j.id}, {j.state.value})" for j in jobs) or "none"
        raise ProviderError(f"no job {wanted!r}; jobs: {known}", title="No such job")
    if len(matches) > 1:
        keys = ", ".join(j.key for j in matches)
        raise ProviderError(f"{wanted!r} names several jobs ({keys}); use provider:id")
    return matches[0]


def pick_node(job: Job, nodes: list[Node], wanted: str | None) -> Node:
    """Node `wanted` of `job`, else its first (master); says why when there is none."""
    if job.state is JobState.QUEUED:
        raise ProviderError(f"job {job.name} has no allocation yet: it is pending")
    if not nodes:
        raise ProviderError(f"job {job.name} has no nodes ({job.state.value})")
    if wanted is None:
        return nodes[0]
    for node in nodes:
        if node.name == wanted:
            return node
    known = ", ".join(node.name for node in nodes)
    raise ProviderError(f"job {job.name} has no node {wanted!r}; its nodes: {known}")


async def blocks_for(
    provider: Provider, trust: TrustFiles, job_name: str | None, node_name: str | None
) -> list[HostBlock]:
    """The blocks for the job (or every running job's master) the command line names."""
    jobs = await provider.list_jobs()
    if job_name is not None:
        chosen = [pick_job(jobs, job_name)]
    else:
        chosen = [j for j in jobs if j.state is JobState.RUNNING]
        if not chosen:
            raise ProviderError("no running job; give --job to name one", title="No job")
    blocks: list[HostBlock] = []
    for job in chosen:
        nodes = await provider.list_nodes(job)
        node = pick_node(job, nodes, node_name)
        blocks += await node_blocks(provider, job, node, trust)
    return blocks


def run_ssh_config(
    args: argparse.Namespace,
    *,
    settings: Settings,
    provider_factory: Callable[[], Provider],
    demo: bool = False,
    out: TextIO | None = None,
) -> int:
    """Build the provider, print or write the blocks; errors propagate to `run_reporting`."""
    out = out or sys.stdout
    provider = provider_factory()

    async def main() -> list[HostBlock]:
        try:
            await provider.start()
            return await blocks_for(provider, trust_files(settings), args.job, args.node)
        finally:
            await provider.close()

    blocks = asyncio.run(main())
    if demo:
        print(
            "# the demo's nodes run inside clusterdeck: these blocks work while the dashboard "
            "that shows them runs (press S there)",
            file=out,
        )
    if args.write is None:
        print(render_blocks(blocks), end="", file=out)
        return 0
    written = write_blocks(args.write, blocks)
    print(inert(f"ssh-config: {written.summary}"), file=out)
    print(f"ssh-config: {INCLUDE_HINT.format(path=written.path)}", file=out)
    return 0
