"""The Slurm provider: a login host over SSH, `squeue` (text form), `sinfo --json`, `scancel`.

Jobs come from squeue's text form (`squeue_text.py`: several times faster than `--json` on big
clusters), filtered to the login user (`--me`, and here) unless `all_users`, one call per poll
for all of them, finished ones also from `sacct --json` over the last `history_days`
(`history.py`); nodes from `sinfo --json`, reused for a while (`sinfo.py`); commands and their
failures: `commands.py`. A job's log is its StdOut file followed over SSH by byte offset
(`log.py`); shells on compute nodes go through the login host as a jump host, addressed by the
node's `NodeAddr` from sinfo.
"""

from __future__ import annotations

import asyncio
import posixpath
import shlex
import time
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from tui.core.clock import Clock, SystemClock
from tui.core.errors import (
    ClusterdeckError,
    ProviderError,
    ProviderUnavailable,
    SshDisconnected,
    SshUnreachable,
)
from tui.core.models import Job, JobState, LogBatch, Node, SshTarget
from tui.core.providers.base import ALL_CAPABILITIES, Option, ProviderContext
from tui.core.providers.slurm.book import JobBook
from tui.core.providers.slurm.commands import COMMAND_TIMEOUT, command_error, program_path
from tui.core.providers.slurm.history import History
from tui.core.providers.slurm.live import LiveUsage
from tui.core.providers.slurm.log import LogSource, follow, output_path
from tui.core.providers.slurm.options import OPTIONS, check_options
from tui.core.providers.slurm.parse import SlurmJob
from tui.core.providers.slurm.shell import (
    Allocation,
    NodeAccessDenied,
    NodeShellBackend,
    SrunRoute,
    node_access_error,
    srun_command,
)
from tui.core.providers.slurm.sinfo import NodeCache
from tui.core.providers.slurm.squeue_text import TextQuery, release_of
from tui.core.providers.slurm.view import format_left, time_left, to_node
from tui.core.providers.ssh_based import SshBasedProvider
from tui.core.ssh.pool import SshPool

WARN_MINUTES = 10.0
"""The app warns beside shells and tunnels when a job has less time left than this."""
LOGS = ("StdOut", "StdErr")


class SlurmProvider(SshBasedProvider):
    """Jobs, nodes, logs and shells of a Slurm cluster reached through its login host."""

    name = "slurm"
    capabilities = ALL_CAPABILITIES
    OPTIONS: ClassVar[Mapping[str, Option]] = OPTIONS

    def __init__(
        self,
        name: str = "slurm",
        *,
        host: str | None = None,
        ssh_alias: str | None = None,
        user: str | None = None,
        port: int = 22,
        key: str | Path | None = None,
        all_users: bool = False,
        poll_interval: float = 2.0,
        node_port: int = 22,
        bin_dir: str | None = None,
        history_days: int = 7,
        node_shell: str = "auto",
        pool: SshPool | None = None,
        known_hosts_path: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        check_options(
            host=host,
            ssh_alias=ssh_alias,
            port=port,
            node_port=node_port,
            poll_interval=poll_interval,
            history_days=history_days,
            node_shell=node_shell,
            key=key,
        )
        super().__init__(pool, known_hosts_path)
        self.name = name
        self.user = user
        self.all_users = all_users
        self.poll_interval = float(poll_interval)
        self.node_port = node_port
        self.bin_dir = bin_dir
        self.node_shell = node_shell
        self.routes: dict[tuple[str, str], str] = {}
        """(job id, node) -> "ssh" or "srun": the route the last shell there took."""
        self.key_path = Path(key).expanduser() if key else None
        self.login = SshTarget(
            host=str(host or ssh_alias), port=port, user=user, key_path=self.key_path
        )
        self._clock: Clock = clock or SystemClock()
        self._fetched_at: float | None = None
        self.sinfo = NodeCache(self._command)
        """The nodes from sinfo, reused for a while."""
        self._login_user: str | None = user
        self._lock = asyncio.Lock()
        self.history = History(
            self._command, days=history_days, all_users=all_users, now=self._clock.now
        )
        """Finished jobs from sacct (its `problem` says why when there are none)."""
        self.live = LiveUsage(self._command)
        """Running jobs' figures so far, from sstat."""
        self.book = JobBook(name, self.history, self.live)
        self.version: str | None = None
        self._asked_version = False
        """The Slurm release that answered last (e.g. 22.05.8)."""

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> SlurmProvider:
        """Build from a `[providers.NAME]` section with `type = "slurm"`."""
        known = {k: options[k] for k in cls.OPTIONS if k in options}
        return cls(
            context.name or "slurm",
            pool=context.pool,
            known_hosts_path=context.known_hosts_path,
            clock=context.clock,
            **known,
        )

    def banner(self) -> str:
        version = f"Slurm {self.version}" if self.version else "Slurm"
        return f"{version} via {self.login}"

    # --- jobs and nodes ----------------------------------------------------------------------

    async def list_jobs(self) -> list[Job]:
        """The login user's jobs (everyone's with `all_users`), active first, newest first.

        squeue's jobs, then the finished ones sacct has that squeue no longer lists; a finished
        job carries its efficiency (`Job.usage`) once accounted.
        """
        records = await self._refresh(max_age=0)
        self.history.kick(None if self.all_users else await self._whoami())
        running = [r for r in records.values() if r.job_state is JobState.RUNNING]
        if self.history.enabled:
            self.live.kick(running)
        return self.book.jobs(self._clock.now())

    def listing_problems(self) -> dict[str, ProviderError]:
        """`{"history": why}` while sacct cannot give the finished jobs."""
        problem = self.history.problem
        return {"finished jobs": problem} if problem is not None else {}

    async def job_details(self, job: Job) -> dict[str, str]:
        """Exit code, elapsed, efficiency (with its caveats) and the log paths."""
        return self.book.facts(job, self._clock.now())

    def log_names(self, job: Job) -> tuple[str, ...]:
        """("StdOut", "StdErr") when they go to different files, else ("StdOut",)."""
        record = self.book.known(job.id)
        if record is None or output_path(record, stderr=True) == output_path(record):
            return LOGS[:1]
        return LOGS

    def stream_named_log(
        self, job: Job, name: str, *, offset: int = 0
    ) -> AsyncGenerator[LogBatch, None]:
        """The log `name` ("StdOut" or "StdErr") from byte `offset`."""
        if name not in LOGS:
            raise ProviderError(f"job {job.id} has no log {name!r} (it has {', '.join(LOGS)})")
        return self.stream_log(job, offset=offset, stderr=name == "StdErr")

    async def list_nodes(self, job: Job) -> list[Node]:
        """The job's nodes (batch host first) with addresses, cores and load from sinfo."""
        record = await self._record(job)
        if not record.nodes:
            return []
        known = await self.sinfo.nodes()
        names = sorted(record.nodes, key=lambda n: n != record.batch_host)
        user = await self._whoami()
        return [
            to_node(record, name, known.get(name), port=self.node_port, user=user) for name in names
        ]

    def ssh_target(self, node: Node) -> SshTarget:
        """The node at its NodeAddr, through the login host as a jump host."""
        return SshTarget(
            host=node.host,
            port=self.node_port,
            user=node.user or self._login_user or self.user,
            key_path=self.key_path,
            jump=self.login,
        )

    def shell_backend(self, node: Node, *, command: str | None = None) -> NodeShellBackend:
        """A shell on `node` by `node_shell` (ssh, srun --overlap, or ssh then srun)."""
        return NodeShellBackend(
            self.pool,
            self.ssh_target(node),
            node,
            command=command,
            policy=self.node_shell,
            srun=SrunRoute(self.login, self._program("srun")),
            allocation=self.allocation,
            remember=lambda n, kind: self.routes.__setitem__((n.job_id, n.name), kind),
        )

    async def ssh_config_command(self, node: Node) -> str | None:
        """`srun --jobid=J --overlap -w NODE --pty $SHELL -l` where ssh to the node is refused
        (`node_shell = "srun"`, or "auto" and the last shell or a probe found it refused)."""
        route = self.node_shell
        if route == "auto":
            route = self.routes.get((node.job_id, node.name)) or await self._probe(node)
        if route == "ssh":
            return None
        return srun_command(node.job_id, node.name, srun=self._program("srun"))

    async def _probe(self, node: Node) -> str:
        """ "ssh" when the node takes our SSH login through the login host, else "srun"."""
        target = self.ssh_target(node)
        try:
            await self.pool.connect(target)
        except ClusterdeckError as exc:
            error = node_access_error(node, target, exc)
            if isinstance(error, NodeAccessDenied | SshUnreachable):
                return "srun"
            raise error from exc
        return "ssh"

    async def allocation(self, node: Node) -> Allocation:
        """Whether `node`'s job has an allocation to open a shell in (not pending, not ended)."""
        try:
            record = (await self._refresh(max_age=self.poll_interval / 2)).get(node.job_id)
        except ProviderError:
            return Allocation()  # the controller is down: let the shell try
        if record is None:
            return Allocation(ended=f"job {node.job_id} is no longer known to Slurm")
        job = f"job {node.job_id} ({record.name})"
        if record.job_state is JobState.QUEUED:
            why = f" ({record.reason})" if record.reason not in ("", "None") else ""
            return Allocation(
                missing=f"{job} has no allocation yet: it is pending{why}. Its shell opens "
                "once it runs."
            )
        if record.job_state.is_finished:
            return Allocation(ended=f"{job} has ended: its allocation is gone")
        return Allocation()

    # --- time left and cancel ----------------------------------------------------------------

    def time_left(self, job: Job) -> timedelta | None:
        """Time until the running job hits its time limit; None if unlimited or not running."""
        record = self.book.records.get(job.id)
        return None if record is None else time_left(record, self._clock.now())

    def time_warning(self, job: Job) -> str | None:
        """`"7 min left"` when the running job has less than `WARN_MINUTES` left, else None."""
        left = self.time_left(job)
        if left is None or left.total_seconds() >= WARN_MINUTES * 60:
            return None
        return format_left(left)

    async def stop_job(self, job: Job) -> None:
        """Cancel the job with `scancel` (once: cancelling is not retried)."""
        try:
            _, err = await self._command(
                "scancel", shlex.quote(job.id), what=f"cancelling job {job.id}"
            )
        except ProviderUnavailable:
            raise
        except ProviderError as exc:
            raise ProviderError(exc.message, title="Cancel failed") from exc
        if "error" in err.lower():
            raise ProviderError(f"scancel {job.id}: {err.strip()}", title="Cancel failed")

    async def work_dir(self, job: Job) -> str | None:
        """The job's WorkDir, else the folder of its StdOut file."""
        record = await self._record(job)
        return record.workdir or posixpath.dirname(output_path(record)) or None

    # --- logs --------------------------------------------------------------------------------

    async def stream_log(
        self, job: Job, *, offset: int = 0, stderr: bool = False
    ) -> AsyncGenerator[LogBatch, None]:
        """The job's StdOut (StdErr with `stderr=True`) from byte `offset`; see `log.py`."""
        record = await self._record(job)
        source = LogSource(
            job_id=job.id,
            path=output_path(record, stderr=stderr),
            target=self.login,
            is_finished=lambda: self._finished(job.id),
            poll_interval=self.poll_interval,
            missing_hint=self.book.path_hint(record),
        )
        async with aclosing(follow(self.pool, source, offset)) as batches:
            async for batch in batches:
                yield batch

    # --- internals ---------------------------------------------------------------------------

    async def close(self) -> None:
        await self.history.close()
        await self.live.close()
        await super().close()

    async def _finished(self, job_id: str) -> tuple[bool, str]:
        if job_id not in self.book.records and job_id in self.history.jobs:
            return True, ""  # a finished job from sacct
        try:
            records = await self._refresh(max_age=self.poll_interval / 2)
        except ProviderUnavailable as exc:
            if isinstance(exc.__cause__, SshUnreachable | SshDisconnected):
                raise
            return False, ""  # controller down: keep following; the job may still write
        record = records.get(job_id)
        if record is None:
            return True, f"job {job_id} is no longer known to Slurm"
        return record.job_state.is_finished, ""

    async def _record(self, job: Job) -> SlurmJob:
        record = self.book.known(job.id)
        if record is None:
            record = (await self._refresh(max_age=0)).get(job.id) or self.book.known(job.id)
        if record is None:
            raise ProviderError(
                f"job {job.id} is no longer known to Slurm (it ended more than MinJobAge ago "
                "or was purged)",
                title="Job gone",
            )
        return record

    async def _refresh(self, *, max_age: float) -> dict[str, SlurmJob]:
        async with self._lock:
            now = time.monotonic()
            if self._fetched_at is not None and max_age > 0 and now - self._fetched_at < max_age:
                return self.book.records
            if not self._asked_version:  # the text form has no `meta` block: ask once
                out, _ = await self._command("squeue", "--version")
                self.version, self._asked_version = release_of(out), True
            query = TextQuery.fresh()
            command = query.command(self._program("squeue"), all_users=self.all_users)
            out, _ = await self._run(command, "listing jobs with `squeue`")
            jobs = query.parse(out, self.version)
            user = None if self.all_users else await self._whoami()
            self.book.listed({j.job_id: j for j in jobs if user is None or j.user == user})
            self._fetched_at = time.monotonic()
            return self.book.records

    async def _whoami(self) -> str:
        if self._login_user is None:
            out, _ = await self._run("id -un", "finding the login user")
            self._login_user = out.strip()
        return self._login_user

    def _program(self, program: str) -> str:
        return program_path(self.bin_dir, program)

    async def _command(self, program: str, *args: str, what: str | None = None) -> tuple[str, str]:
        path = self._program(program)
        return await self._run(shlex.join([path]) + "".join(f" {a}" for a in args), what)

    async def _run(self, command: str, what: str | None) -> tuple[str, str]:
        """(stdout, stderr) of a command on the login host; failures become provider errors."""
        doing = what or f"running `{command}`"
        try:
            code, out, err = await self.pool.run(self.login, command, timeout=COMMAND_TIMEOUT)
        except (SshUnreachable, SshDisconnected) as exc:
            raise ProviderUnavailable(
                f"cannot reach the Slurm login host {self.login} ({doing}): {exc}",
                title="Slurm login host unreachable",
            ) from exc
        if code == 0:
            return out, err
        raise command_error(
            command,
            code,
            err or out,
            login=self.login,
            doing=doing,
            bin_dir=self.bin_dir,
            provider=self.name,
        )
