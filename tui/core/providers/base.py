"""The provider interface, and lookup of providers registered as entry points."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tui.core.clock import Clock
from tui.core.errors import ClusterdeckError, ConfigError, ProviderError
from tui.core.models import Job, LogBatch, Node, SshTarget

if TYPE_CHECKING:
    from tui.core.ssh.pool import SshPool
    from tui.core.ssh.shell import SshShellBackend

ENTRY_POINT_GROUP = "clusterdeck.providers"


@dataclass(frozen=True)
class Option:
    """One key a provider accepts in its `[providers.NAME]` config section."""

    kind: type | tuple[type, ...]
    """Accepted TOML value type(s): str, int, float, bool, list."""
    required: bool = False
    help: str = ""
    """What the key means; shown when it is missing or wrong."""
    choices: tuple[str, ...] = ()
    """When not empty, the only accepted values."""


@dataclass(frozen=True)
class ProviderContext:
    """What every provider may use: where to keep state, whose host keys to trust, the clock."""

    state_dir: Path
    known_hosts_path: Path
    clock: Clock
    name: str = ""
    """The provider's name: its `[providers.NAME]` section (shown in the jobs pane)."""


class Capability(StrEnum):
    """What a provider can do, so the UI offers only what works."""

    JOBS = "jobs"
    LOGS = "logs"
    SHELL = "shell"
    TUNNELS = "tunnels"
    STOP_JOB = "stop-job"


class Provider(ABC):
    """A source of jobs, nodes, logs and SSH targets.

    Blocking work stays inside the provider; every method is safe to call from the event loop.
    """

    name: str = "provider"
    capabilities: frozenset[Capability] = frozenset()
    OPTIONS: ClassVar[Mapping[str, Option]] = {}
    """The keys of this provider's config section (besides `type`), checked with file:line."""

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> Provider:
        """Build the provider from its config section `options` (already validated)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a config section")

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare the provider (connect, start servers). Called once before anything else."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything `start()` acquired. Safe to call more than once."""

    @abstractmethod
    async def list_jobs(self) -> list[Job]:
        """The jobs to show, active first."""

    @abstractmethod
    async def list_nodes(self, job: Job) -> list[Node]:
        """The nodes of `job`, master first."""

    @abstractmethod
    def stream_log(self, job: Job, *, offset: int = 0) -> AsyncIterator[LogBatch]:
        """New log lines of `job` from `offset` on, in batches, without gaps or duplicates.

        The iterator ends when the job has finished and its whole log was delivered.
        """

    @abstractmethod
    def ssh_target(self, node: Node) -> SshTarget:
        """How to reach `node` over SSH."""

    # --- optional abilities (a provider overrides what it supports) ---------------------------

    def use_pool(self, pool: SshPool) -> None:  # noqa: B027 - optional hook
        """Share the app's SSH pool (for providers that run commands over SSH)."""

    def shell_backend(
        self, node: Node, pool: SshPool | None = None, *, command: str | None = None
    ) -> SshShellBackend | None:
        """A provider-specific shell for `node`, or None for a plain SSH shell to its target."""
        return None

    async def stop_job(self, job: Job) -> None:
        """Stop (cancel) `job`. Only called when `Capability.STOP_JOB` is offered."""
        raise ProviderError(f"the {self.name} provider cannot stop jobs")

    async def job_details(self, job: Job) -> dict[str, str]:
        """Extra facts about `job` for its detail view (e.g. access CIDR, SSH key)."""
        return {}

    def problems(self) -> dict[str, ClusterdeckError]:
        """Parts of this provider that are failing (a group's members), by name."""
        return {}

    def time_warning(self, job: Job) -> str | None:
        """A short warning when `job` is about to hit its time limit, else None."""
        return None

    def banner(self) -> str | None:
        """A one-line message for the status bar (for example, that this is the demo)."""
        return None


def provider_class(kind: str) -> type[Provider]:
    """The provider class registered under `kind` in the `clusterdeck.providers` group."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if kind not in found:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigError(f"unknown provider type {kind!r}; installed provider types: {known}")
    loaded: Any = found[kind].load()
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        raise ConfigError(f"entry point {kind!r} does not name a Provider subclass")
    return loaded
