"""The provider interface (what a source of clusters implements) and entry-point lookup.

Writing a provider
==================
A provider is a `Provider` subclass registered in the `clusterdeck.providers` entry-point
group; `type = "NAME"` in a `[providers.X]` config section picks it::

    [project.entry-points."clusterdeck.providers"]
    mycloud = "mycloud.provider:MyCloudProvider"

Set-up, in one step. `OPTIONS` lists the keys the section may hold (besides `type`); the config
loader checks their types, `required` and `choices` and reports unknown keys with file and line
before anything else runs. `create(options, context)` then builds the provider. It must not do
I/O (`clusterdeck config check` calls it too): raise `ConfigError` for a semantic problem, with
a message *without* a `[providers.X]` prefix (the app adds it, with file and line). The
`ProviderContext` brings the state directory, the app's known_hosts file, the clock, the section
name and the app's shared `SshPool` (`pool`; None where no app runs, e.g. `config check`: a
provider that needs SSH then makes its own and closes it in `close()`). Never close
`context.pool`: the app owns it.

Life cycle. `start()` is awaited once before any other call (connect, start servers); `close()`
releases what `start()` took and may be called more than once. Every method runs on the event
loop: blocking work goes to `asyncio.to_thread`.

Data.
- `list_jobs()`: the jobs to show, active first. `Job.id` is unique within the provider and
  `Job.provider` is its `name` (a group puts the section name there).
- `list_nodes(job)`: the job's nodes, master first; `[]` while it has none.
- `ssh_target(node)`: how to reach a node (host, port, user, key, jump host). No I/O.
- `stream_log(job, offset=0)`: an async iterator of `LogBatch`es of complete lines (no line
  ends). `batch.offset` is a position of the provider's choosing (bytes, lines...) that the app
  treats as opaque: after an error it calls `stream_log(job, offset=<last batch's offset>)`, and
  the new stream must continue right after the last line of that batch, with no gap and no
  duplicate. The last batch has `finished=True` once the job has ended and everything was
  delivered; a stream that ends without it means nothing more will come. `notes` are remarks
  about the stream (e.g. "waiting for the file"), not log lines.

Optional abilities: `shell_backend(node, command=None)` returns a special terminal backend for
the node (None: the app opens a plain SSH shell on `ssh_target(node)` through the pool; for a
persistent shell the app passes the tmux or screen attach command to the backend's
`set_command`, which it must run, and `run` on `ssh_target(node)` must reach the same node),
`ssh_config_command(node)` the command that lands on a node that takes no SSH logins (for
`clusterdeck ssh-config`), `stop_job(job)` stops a job once (never retried), `work_dir(job)`
names the folder the Files screen opens on the job's master, `job_files(job)` serves its files
through the provider's API (`tui.core.providers.files`), `log_names(job)` +
`stream_named_log(job, name)` offer a second log (stderr), `listing_problems()` names parts of
the listing that failed while the rest worked (finished jobs), `job_details(job)` gives label ->
text facts (a label containing "CIDR" holds the job's access rule), `time_warning(job)` a short
warning near the time limit, `banner()` a line for the status bar.

Capabilities say what the app may offer (`capabilities`, a frozenset of `Capability`):
`JOBS` jobs are listed; `LOGS` `stream_log` gives the job's log (without it the log pane says
"no logs for this provider" and `stream_log` is not called); `SHELL` Enter opens a shell on a
node (without it the app tells the user the provider offers no shell); `TUNNELS` port forwards
through its nodes; `STOP_JOB` `stop_job` works.

Errors. Raise from the `tui.core.errors` tree, each with a message a user can act on:
`ProviderUnavailable` (cannot reach the service), `ProviderAuthError` (credentials refused),
`ProviderError` (anything else); `SshError`s from the pool pass through as they are. The app
shows them, marks the pane and retries on its next poll; anything else is reported as an
unexpected error. `CompositeProvider` (several providers shown as one) adds `members` and
`problems()`; the app checks for it with `isinstance`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tui.core.clock import Clock
from tui.core.errors import ClusterdeckError, ConfigError, ProviderError
from tui.core.models import Job, LogBatch, Node, SshTarget

if TYPE_CHECKING:
    from tui.core.providers.files import JobFiles
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
    """What every provider may use: state, trusted host keys, the clock, the shared SSH pool."""

    state_dir: Path
    known_hosts_path: Path
    clock: Clock
    name: str = ""
    """The provider's name: its `[providers.NAME]` section (shown in the jobs pane)."""
    pool: SshPool | None = None
    """The app's SSH pool (its passphrase prompt and host-key trust); None outside the app."""


class Capability(StrEnum):
    """What a provider can do, so the UI offers only what works (see the module docstring)."""

    JOBS = "jobs"
    LOGS = "logs"
    SHELL = "shell"
    TUNNELS = "tunnels"
    STOP_JOB = "stop-job"


ALL_CAPABILITIES = frozenset(Capability)
"""Everything: for providers that can do all of it (Slurm, Rescale)."""


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

    def shell_backend(self, node: Node, *, command: str | None = None) -> SshShellBackend | None:
        """A provider-specific shell for `node`, or None for a plain SSH shell to its target."""
        return None

    async def ssh_config_command(self, node: Node) -> str | None:
        """For ssh config blocks: the command a plain `ssh` to the node's jump host runs to land
        on `node` (Slurm sites whose nodes take no SSH logins: `srun --overlap ... --pty`), or
        None when `ssh_target(node)` is reachable as it is."""
        return None

    async def stop_job(self, job: Job) -> None:
        """Stop (cancel) `job`. Only called when `Capability.STOP_JOB` is offered."""
        raise ProviderError(f"the {self.name} provider cannot stop jobs")

    async def job_details(self, job: Job) -> dict[str, str]:
        """Extra facts about `job` for its detail view (e.g. access CIDR, SSH key)."""
        return {}

    def time_warning(self, job: Job) -> str | None:
        """A short warning when `job` is about to hit its time limit, else None."""
        return None

    def listing_problems(self) -> Mapping[str, ClusterdeckError]:
        """Parts of the listing that failed while the rest worked (Slurm: its finished jobs)."""
        return {}

    def log_names(self, job: Job) -> tuple[str, ...]:
        """The job's logs by name when it has several (Slurm: StdOut, StdErr), the one
        `stream_log` gives first; () when it has one. Others come from `stream_named_log`."""
        return ()

    def stream_named_log(self, job: Job, name: str, *, offset: int = 0) -> AsyncIterator[LogBatch]:
        """Like `stream_log`, for the log `name` of `log_names(job)`."""
        raise ProviderError(f"the {self.name} provider has only one log per job")

    def job_files(self, job: Job) -> JobFiles | None:
        """The job's files through the provider's API (Rescale), or None: only over SSH."""
        return None

    async def work_dir(self, job: Job) -> str | None:
        """The folder the Files screen opens in on `job`'s master (None: the home directory)."""
        return None

    def banner(self) -> str | None:
        """A one-line message for the status bar (for example, that this is the demo)."""
        return None

    async def restored_port(self, job: Job, node: str, name: str, port: int) -> int | None:
        """Where a tunnel saved in an earlier run, to `port` on `node` of `job`, points now.

        Optional hook, for providers whose service ports change on every start (the demo):
        `name` is the tunnel's name (empty when unnamed). Return the port to forward to now,
        or None to drop the tunnel (the tunnels screen shows it failed, with the reason). The
        default keeps `port`: real clusters' services keep theirs.
        """
        return port


class CompositeProvider(Provider):
    """Several providers shown as one; each job's `provider` names the member it came from."""

    @property
    @abstractmethod
    def members(self) -> Mapping[str, Provider]:
        """The member providers by name."""

    @abstractmethod
    def problems(self) -> dict[str, ClusterdeckError]:
        """Members that are failing (start or last listing), with the error, by name."""


def capability_note(
    provider: Provider, capability: Capability, job: Job | None = None
) -> str | None:
    """Why `provider` cannot do `capability`, for the user; None when it can.

    For a composite, `job` picks the member that is asked (its `Job.provider`).
    """
    name = provider.name
    if isinstance(provider, CompositeProvider) and job is not None:
        member = provider.members.get(job.provider)
        if member is not None:
            provider, name = member, job.provider
    if capability in provider.capabilities:
        return None
    if capability is Capability.SHELL:
        return f"The {name} provider offers no shell on its nodes."
    if capability is Capability.LOGS:
        return "no logs for this provider"
    return f"The {name} provider cannot do that ({capability.value})."


BUILT_IN = {
    "demo": "tui.core.providers.demo.provider:DemoProvider",
    "slurm": "tui.core.providers.slurm.provider:SlurmProvider",
    "rescale": "tui.core.providers.rescale.provider:RescaleProvider",
    "inventory": "tui.core.providers.inventory.provider:InventoryProvider",
}
"""The built-in types, as pyproject.toml registers them in the group (a test compares): found
without reading every installed package's metadata, which costs some 50 ms of start-up."""


def provider_class(kind: str) -> type[Provider]:
    """The provider class registered under `kind` in the `clusterdeck.providers` group."""
    loaded: Any
    if kind in BUILT_IN:
        module, _, name = BUILT_IN[kind].partition(":")
        loaded = getattr(importlib.import_module(module), name)
    else:
        from importlib.metadata import entry_points

        found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        if kind not in found:
            known = ", ".join(sorted({*found, *BUILT_IN})) or "none"
            raise ConfigError(f"unknown provider type {kind!r}; installed provider types: {known}")
        loaded = found[kind].load()
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        raise ConfigError(f"entry point {kind!r} does not name a Provider subclass")
    return loaded
