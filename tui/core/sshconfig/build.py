"""Host blocks for a job's node, from what the app itself uses to reach it.

The node's `SshTarget` (with the user's own `~/.ssh/config` applied, as the SSH pool applies
it) gives HostName, Port, User and IdentityFile; a jump host becomes a block of its own and the
node's `ProxyJump`. Host keys are checked against the files the app trusts
(`UserKnownHostsFile`); a key the app trusts only for the job is pinned under the block's alias
(`HostKeyAlias`), so ssh never files it under an address a later job may reuse. Where a plain
ssh cannot reach the node (Slurm sites whose nodes take no SSH logins) the block lands on the
login host and runs the provider's command there (`RemoteCommand srun ... --pty`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tui.core.models import Job, Node, SshTarget
from tui.core.printable import inert
from tui.core.providers.base import Provider
from tui.core.ssh.resolve import default_config_paths, resolve_target
from tui.core.ssh.trust import job_key_lines, pin_job_alias
from tui.core.sshconfig.blocks import (
    HostBlock,
    SshConfigError,
    alias_for,
    path_value,
    plain_value,
)

MAX_JUMPS = 8


@dataclass(frozen=True)
class TrustFiles:
    """The known_hosts files the app trusts, and its job-scoped one (also written: pins)."""

    known_hosts: tuple[Path, ...]
    job_hosts: Path

    def option(self) -> str:
        return " ".join(path_value(p) for p in (*self.known_hosts, self.job_hosts))


async def node_blocks(
    provider: Provider,
    job: Job,
    node: Node,
    trust: TrustFiles,
    *,
    provider_name: str | None = None,
    config_paths: Sequence[Path] | None = None,
) -> list[HostBlock]:
    """The blocks that reach `node` of `job`: its jump hosts' first, the node's last."""
    name = provider_name or job.provider or provider.name
    target = replace(provider.ssh_target(node), trust_scope=job.key)
    paths = default_config_paths() if config_paths is None else list(config_paths)
    alias = alias_for(name, job.id, node.name)
    about = inert(f"{node.name} of {job.name} ({job.id}) on {name}")
    command = await provider.ssh_config_command(node)
    if command is None:
        return await _blocks(target, alias, about, trust, name, paths, depth=0)
    if target.jump is None:
        raise SshConfigError(f"{node.name} can only be reached through a login host; none is set")
    extra = (("RequestTTY", "yes"), ("RemoteCommand", command))
    about += (
        "\nits sshd takes no logins: this lands on the login host and enters the job's"
        "\nallocation with srun (an interactive shell; no scp/rsync to the node itself)"
    )
    login = replace(target.jump, trust_scope=None)
    return await _blocks(login, alias, about, trust, name, paths, depth=0, extra=extra)


async def _blocks(
    target: SshTarget,
    alias: str,
    about: str,
    trust: TrustFiles,
    provider: str,
    paths: list[Path],
    *,
    depth: int,
    extra: tuple[tuple[str, str], ...] = (),
) -> list[HostBlock]:
    if depth > MAX_JUMPS:
        raise SshConfigError(f"too many jump hosts on the way to {target}")
    resolved = await resolve_target(target, paths)
    options = [
        ("HostName", plain_value("HostName", resolved.host)),
        ("Port", str(resolved.port)),
        ("User", plain_value("User", resolved.user)),
    ]
    keys = [target.key_path] if target.key_path is not None else []
    for key in dict.fromkeys([*keys, *resolved.identity_files]):
        options.append(("IdentityFile", path_value(key.expanduser())))
    if resolved.identities_only:
        options.append(("IdentitiesOnly", "yes"))
    blocks: list[HostBlock] = []
    if resolved.jump is not None:
        jump = resolved.jump
        port = [] if jump.port == 22 else [str(jump.port)]
        jump_alias = alias_for(provider, "via", jump.host, *port)
        blocks += await _blocks(
            replace(jump, trust_scope=None),
            jump_alias,
            inert(f"jump host {jump} for {provider}"),
            trust,
            provider,
            paths,
            depth=depth + 1,
        )
        options.append(("ProxyJump", jump_alias))
    pinned = []
    if target.trust_scope is not None:
        pinned = await asyncio.to_thread(
            job_key_lines,
            trust.job_hosts,
            resolved.host_key_name,
            resolved.port,
            target.trust_scope,
        )
    if pinned:
        assert target.trust_scope is not None
        await asyncio.to_thread(pin_job_alias, trust.job_hosts, alias, pinned, target.trust_scope)
        options.append(("HostKeyAlias", alias))
    elif resolved.host_key_name != resolved.host:
        options.append(("HostKeyAlias", plain_value("HostKeyAlias", resolved.host_key_name)))
    options.append(("UserKnownHostsFile", trust.option()))
    options += extra
    return [*blocks, HostBlock(alias, tuple(options), about)]
