"""Several providers shown as one: jobs grouped by provider, a failing one marked on its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tui.core.errors import ClusterdeckError, ProviderError, as_user_error
from tui.core.models import Job, LogBatch, Node, SshTarget
from tui.core.providers.base import Capability, CompositeProvider, Provider

if TYPE_CHECKING:
    from tui.core.providers.files import JobFiles
    from tui.core.ssh.shell import SshShellBackend


class ProviderGroup(CompositeProvider):
    """Members keep working when one fails; `problems()` says which failed and why."""

    name = "all"

    def __init__(self, members: Sequence[tuple[str, Provider]]) -> None:
        self._members = dict(members)
        self.capabilities = frozenset().union(*(p.capabilities for p in self.members.values()))
        self._problems: dict[str, ClusterdeckError] = {}
        self._started: set[str] = set()
        self._node_owner: dict[Node, str] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every member; one that fails is recorded, not fatal (unless all fail)."""
        names = list(self.members)
        results = await asyncio.gather(
            *(self.members[n].start() for n in names), return_exceptions=True
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                self._problems[name] = _titled(name, result, "could not start")
            else:
                self._started.add(name)
        if not self._started:
            raise ProviderError(
                "no provider could start: "
                + "; ".join(f"{n}: {e.message}" for n, e in self._problems.items())
            )

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.members.values()), return_exceptions=True)

    @property
    def members(self) -> Mapping[str, Provider]:
        """The member providers by section name, in config order."""
        return self._members

    def banner(self) -> str:
        return f"{len(self.members)} providers: {', '.join(self.members)}"

    def problems(self) -> dict[str, ClusterdeckError]:
        """Members whose start or last listing failed, with the error."""
        return dict(self._problems)

    # --- data ----------------------------------------------------------------------------------

    async def list_jobs(self) -> list[Job]:
        names = [n for n in self.members if n in self._started]
        results = await asyncio.gather(
            *(self.members[n].list_jobs() for n in names), return_exceptions=True
        )
        jobs: list[Job] = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                self._problems[name] = _titled(name, result, "failed to list jobs")
                continue
            self._problems.pop(name, None)
            active = [j for j in result if j.state.is_active]
            done = [j for j in result if not j.state.is_active]
            jobs.extend(replace(job, provider=name) for job in active + done)
        return jobs

    async def list_nodes(self, job: Job) -> list[Node]:
        name, provider = self._member(job)
        nodes = await provider.list_nodes(job)
        for node in nodes:
            self._node_owner[node] = name
        return nodes

    async def restored_port(self, job: Job, node: str, name: str, port: int) -> int | None:
        return await self._member(job)[1].restored_port(job, node, name, port)

    def stream_log(self, job: Job, *, offset: int = 0) -> AsyncIterator[LogBatch]:
        return self._member(job)[1].stream_log(job, offset=offset)

    def log_names(self, job: Job) -> tuple[str, ...]:
        return self._member(job)[1].log_names(job)

    def stream_named_log(self, job: Job, name: str, *, offset: int = 0) -> AsyncIterator[LogBatch]:
        return self._member(job)[1].stream_named_log(job, name, offset=offset)

    def listing_problems(self) -> dict[str, ClusterdeckError]:
        """Each member's partial failures, named `member: part`."""
        return {
            f"{name}: {part}": problem
            for name, member in self.members.items()
            for part, problem in member.listing_problems().items()
        }

    def ssh_target(self, node: Node) -> SshTarget:
        return self._owner(node).ssh_target(node)

    def shell_backend(self, node: Node, *, command: str | None = None) -> SshShellBackend | None:
        return self._owner(node).shell_backend(node, command=command)

    async def ssh_config_command(self, node: Node) -> str | None:
        return await self._owner(node).ssh_config_command(node)

    async def stop_job(self, job: Job) -> None:
        name, provider = self._member(job)
        if Capability.STOP_JOB not in provider.capabilities:
            raise ProviderError(f"the {name} provider cannot stop jobs")
        await provider.stop_job(job)

    async def job_details(self, job: Job) -> dict[str, str]:
        return await self._member(job)[1].job_details(job)

    def time_warning(self, job: Job) -> str | None:
        return self._member(job)[1].time_warning(job)

    def job_files(self, job: Job) -> JobFiles | None:
        return self._member(job)[1].job_files(job)

    async def work_dir(self, job: Job) -> str | None:
        return await self._member(job)[1].work_dir(job)

    def _member(self, job: Job) -> tuple[str, Provider]:
        provider = self.members.get(job.provider)
        if provider is None:
            raise ProviderError(f"no provider named {job.provider!r} for job {job.name}")
        return job.provider, provider

    def _owner(self, node: Node) -> Provider:
        name = self._node_owner.get(node)
        if name is None:
            raise ProviderError(f"node {node.name} is not known any more; refresh and retry")
        return self.members[name]


def _titled(name: str, exc: BaseException, what: str) -> ClusterdeckError:
    error = as_user_error(exc)
    return ProviderError(f"{name} {what}: {error.message}", title=f"{name}: {error.title}")
