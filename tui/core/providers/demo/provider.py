"""The embedded demo cluster: the default provider when the user has no config yet.

Jobs move through Queued -> Starting -> Running on an injected clock (see `demo_script`). Every node
of a running job is a real asyncssh server on 127.0.0.1 (`demo_node`), and a tiny real HTTP service
per running job stands in for the solver's dashboard that its log says is "listening on port N".
"""

from __future__ import annotations

import asyncio
import getpass
import html
import logging
import os
import shutil
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import asyncssh

from tui.core.clock import Clock, SystemClock
from tui.core.errors import ClusterdeckError, ProviderError, StateDirError
from tui.core.files import make_private_dir
from tui.core.models import Job, JobState, LogBatch, Node, SshTarget
from tui.core.providers.base import Capability, Option, Provider, ProviderContext
from tui.core.providers.demo.files import seed_job_files
from tui.core.providers.demo.http import DashboardServer
from tui.core.providers.demo.node import DemoNode, load_or_create_key, record_host_keys
from tui.core.providers.demo.script import DemoScript, JobSpec, LogContext, master_of

log = logging.getLogger(__name__)

MAX_BATCH = 2000
"""Most lines in one `LogBatch`."""

PAGE_TITLE = "clusterdeck demo solver dashboard"

_UP = frozenset({JobState.STARTING, JobState.RUNNING})


class DemoProvider(Provider):
    """A few scripted jobs whose nodes are real SSH servers on loopback."""

    name = "demo"
    capabilities = frozenset(
        {Capability.JOBS, Capability.LOGS, Capability.SHELL, Capability.TUNNELS}
    )

    def __init__(
        self,
        *,
        state_dir: Path,
        known_hosts_path: Path,
        seed: int = 1,
        clock: Clock | None = None,
        speed: float = 1.0,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.root = Path(state_dir) / "demo"
        self.key_path = self.root / "id_ed25519"
        self.known_hosts_path = Path(known_hosts_path)
        self.user = _login_user()
        self._clock: Clock = clock or SystemClock()
        self._speed = speed
        self._script = DemoScript(seed)
        self._epoch = self._clock.now()
        self._mono0 = self._clock.monotonic()
        self._shell = _user_shell()
        self._client_key: asyncssh.SSHKey | None = None
        self._nodes: dict[tuple[str, str], DemoNode] = {}
        self._booting: dict[str, asyncio.Task[None]] = {}
        self._http: dict[str, DashboardServer] = {}
        """Job id -> its dashboard service (started with the job's nodes)."""
        self._timeline: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "seed": Option(int, help="same seed, same jobs and log lines"),
        "speed": Option(float, help="how fast demo time runs, e.g. 2.0"),
    }

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> DemoProvider:
        """Build from the `[demo]` config section (`seed`, `speed`)."""
        return cls(
            state_dir=context.state_dir,
            known_hosts_path=context.known_hosts_path,
            seed=int(options.get("seed", 1)),
            clock=context.clock,
            speed=float(options.get("speed", 1.0)),
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load (or make) the keys, start the dashboard and the nodes of running jobs."""
        if self._closed:
            raise ProviderError("this demo provider was closed; make a new one")
        if self._started:
            return
        self._started = True
        try:
            for folder in (self.root, self.root / "hostkeys", self.root / "nodes"):
                _make_dir(folder, own=self.root)
            _make_dir(self.known_hosts_path.parent)
            self._client_key = load_or_create_key(
                self.key_path, comment=f"clusterdeck-demo@{self.user}", with_public=True
            )
            now = self._now()
            up = [s for s in self._script.jobs if self._script.state_at(s, now) in _UP]
            await asyncio.gather(*(self._ensure_nodes(spec) for spec in up))
            self._timeline = asyncio.create_task(self._run_timeline(), name="demo-timeline")
        except BaseException:
            await self.close()  # nothing half-started is left behind
            raise

    async def close(self) -> None:
        """Stop the timeline, every node (shells included) and the dashboard. Idempotent."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._timeline, *self._booting.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(n.close() for n in self._nodes.values()), return_exceptions=True)
        await asyncio.gather(*(h.close() for h in self._http.values()), return_exceptions=True)

    def banner(self) -> str:
        return "Demo cluster (embedded, on loopback)"

    async def restored_port(self, job: Job, node: str, name: str, port: int) -> int | None:
        """The demo's ports change on every start: the job's one service, its dashboard (a
        tunnel named "dashboard", or unnamed as opened from the log), is found again; others
        are dropped."""
        if name not in {"", "dashboard"} or not job.state.is_active:
            return None
        try:
            await self._ensure_nodes(self._spec(job))  # the job's service starts with its nodes
        except ClusterdeckError:
            return None
        server = self._http.get(job.id)
        return server.port if server is not None and server.port else None

    # --- jobs and nodes ----------------------------------------------------------------------

    async def list_jobs(self) -> list[Job]:
        now = self._now()
        jobs = [self._job(spec, now) for spec in self._script.jobs]
        return sorted(jobs, key=lambda job: not job.state.is_active)

    async def list_nodes(self, job: Job) -> list[Node]:
        spec = self._spec(job)
        if self._script.state_at(spec, self._now()) in _UP:
            await self._ensure_nodes(spec)
        now = self._now()
        state = self._script.node_state_at(spec, now)
        nodes = []
        for index, name in enumerate(spec.nodes):
            server = self._nodes.get((spec.id, name))
            nodes.append(
                Node(
                    job_id=spec.id,
                    name=name,
                    role="master" if index == 0 else "worker",
                    host="127.0.0.1",
                    port=server.port if server is not None else 0,
                    state=state,
                    cores=spec.cores,
                    load=self._script.load_at(spec, index, now),
                    user=self.user,
                )
            )
        return nodes

    def ssh_target(self, node: Node) -> SshTarget:
        server = self._nodes.get((node.job_id, node.name))
        if server is None or server.port == 0:
            raise ProviderError(
                f"node {node.name} of demo job {node.job_id} is not running; "
                "shells open on the nodes of running jobs only"
            )
        return SshTarget(host="127.0.0.1", port=server.port, user=self.user, key_path=self.key_path)

    # --- logs --------------------------------------------------------------------------------

    async def stream_log(self, job: Job, *, offset: int = 0) -> AsyncGenerator[LogBatch, None]:
        """Lines from `offset` on; waits on the clock for new ones while the job is live."""
        spec = self._spec(job)
        if not self._started or self._closed:
            raise ProviderError("the demo provider is not running (start() it first)")
        pos = max(0, offset)
        if not spec.is_live:
            lines = self._script.finished_log(spec, self._context(0, 0))
            pos = min(pos, len(lines))
            while True:
                end = min(len(lines), pos + MAX_BATCH)
                yield LogBatch(spec.id, lines[pos:end], end, finished=end >= len(lines))
                if end >= len(lines):
                    return
                pos = end
        while True:
            now = self._now()
            due = self._script.lines_due(spec, now)
            if pos < due:
                await self._ensure_nodes(spec)
                master = self._nodes[(spec.id, master_of(spec))]
                ctx = self._context(master.port, self._http[spec.id].port)
                while pos < due:
                    end = min(due, pos + MAX_BATCH)
                    yield LogBatch(spec.id, self._script.lines(spec, pos, end, ctx), end)
                    pos = end
                continue
            wait = (self._script.line_time(spec, pos) - now) / self._speed
            await self._clock.sleep(max(wait, 0.0))

    # --- internals ---------------------------------------------------------------------------

    def _now(self) -> float:
        """Demo seconds since the provider was made."""
        return (self._clock.monotonic() - self._mono0) * self._speed

    def _at(self, demo_seconds: float) -> datetime:
        return self._epoch + timedelta(seconds=demo_seconds / self._speed)

    def _context(self, ssh_port: int, http_port: int) -> LogContext:
        return LogContext(self.user, ssh_port, http_port, self._epoch, self._speed)

    def _spec(self, job: Job) -> JobSpec:
        spec = self._script.spec(job.id)
        if spec is None:
            raise ProviderError(f"the demo cluster has no job {job.id!r}")
        return spec

    def _job(self, spec: JobSpec, now: float) -> Job:
        state = self._script.state_at(spec, now)
        return Job(
            id=spec.id,
            name=spec.name,
            state=state,
            provider=self.name,
            owner=self.user,
            submitted=self._at(spec.submitted_at),
            started=self._at(spec.runs_at) if now >= spec.runs_at else None,
            ended=self._at(spec.ends_at)
            if state.is_finished and spec.ends_at is not None
            else None,
            node_count=len(spec.nodes),
            status_detail=self._script.status_detail(spec, now),
        )

    async def _ensure_nodes(self, spec: JobSpec) -> None:
        """Start the job's node servers once; every caller waits for the same start-up."""
        if not self._started or self._closed:
            raise ProviderError("the demo provider is not running (start() it first)")
        task = self._booting.get(spec.id)
        if task is None:
            task = asyncio.create_task(self._boot(spec), name=f"demo-boot-{spec.id}")
            self._booting[spec.id] = task
        await asyncio.shield(task)

    async def _boot(self, spec: JobSpec) -> None:
        assert self._client_key is not None
        nodes = []
        http = DashboardServer(lambda: self._render_page(spec))
        try:
            await http.start()
            self._http[spec.id] = http
            for name in spec.nodes:
                workdir = self.root / "nodes" / spec.id / name
                _make_dir(workdir, own=self.root)
                _make_dir(self.root / "tmux", own=self.root)
                if name == spec.nodes[0]:
                    seed_job_files(workdir)
                key = load_or_create_key(
                    self.root / "hostkeys" / f"{spec.id}-{name}", comment=f"{spec.id}/{name}"
                )
                node = DemoNode(
                    job_id=spec.id,
                    name=name,
                    workdir=workdir,
                    host_key=key,
                    client_key=self._client_key,
                    user=self.user,
                    shell=self._shell,
                    tmux_dir=self.root / "tmux",
                )
                self._nodes[(spec.id, name)] = node
                nodes.append(node)
            await asyncio.gather(*(node.start() for node in nodes))
            record_host_keys(self.known_hosts_path, [(n.port, n.host_key) for n in nodes])
        except BaseException:
            del self._booting[spec.id]  # let a later call try again
            for node in nodes:
                self._nodes.pop((spec.id, node.name), None)
            self._http.pop(spec.id, None)
            await asyncio.gather(*(n.close() for n in nodes), http.close(), return_exceptions=True)
            raise

    async def _run_timeline(self) -> None:
        """Boot nodes when queued jobs start, sleeping on the clock between events."""
        while True:
            now = self._now()
            for spec in self._script.jobs:
                if self._script.state_at(spec, now) in _UP and spec.id not in self._booting:
                    try:
                        await self._ensure_nodes(spec)
                    except ClusterdeckError as exc:
                        log.warning("demo job %s: %s", spec.id, exc)
            upcoming = self._script.next_event(now)
            if upcoming is None:
                return
            await self._clock.sleep((upcoming - now) / self._speed)

    def _render_page(self, job: JobSpec) -> str:
        now = self._now()
        rows = "".join(
            f"<tr><td>{html.escape(s.name)}</td><td>{self._script.state_at(s, now)}</td>"
            f"<td>{html.escape(self._script.status_detail(s, now))}</td></tr>"
            for s in self._script.jobs
        )
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{PAGE_TITLE}</title>"
            f"</head><body><h1>{PAGE_TITLE}</h1><h2>job {html.escape(job.name)} ({job.id})</h2>"
            f"<table>{rows}</table></body></html>\n"
        )


def _make_dir(folder: Path, *, own: Path | None = None) -> None:
    """Create `folder` as 0700; at or below `own` (the demo tree) tighten it if it is lax."""
    try:
        make_private_dir(folder, tighten_below=own)
    except OSError as exc:
        raise StateDirError(
            f"cannot create {folder}: {exc.strerror or exc}; "
            "make it writable or choose another state directory"
        ) from exc


def _login_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "demo"


def _user_shell() -> str:
    shell = os.environ.get("SHELL", "")
    if shell and os.path.isabs(shell) and os.access(shell, os.X_OK):
        return shell
    return shutil.which("sh") or "/bin/sh"
