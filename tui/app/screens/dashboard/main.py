"""The dashboard: jobs, the nodes of the highlighted job, and its live log."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from tui.app.bindings import DASHBOARD_KEYS
from tui.app.screens.dashboard.job_actions import JobActionsScreen
from tui.app.screens.rows import job_row, node_row
from tui.core.clock import Clock
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import Job, JobState, Node
from tui.core.providers.base import Provider
from tui.core.tunnels import TunnelManager
from tui.core.tunnels.detect import DetectedService, ServiceDetector
from widgets.log.view import LogView
from widgets.tables.job import JobRow, JobTable
from widgets.tables.node import NodeTable


class MainScreen(JobActionsScreen):
    """Jobs and nodes side by side above the live log of the highlighted job."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id) for k in DASHBOARD_KEYS
    ]

    class ShellRequested(Message):
        """The user asked for a shell on `node` of `job` (in the system ssh when `external`)."""

        def __init__(self, job: Job, node: Node, *, external: bool = False) -> None:
            super().__init__()
            self.job = job
            self.node = node
            self.external = external

    class JobsRefreshed(Message):
        """Fresh job states, with the time-limit warnings of jobs about to end."""

        def __init__(self, jobs: dict[str, Job], warnings: dict[str, str]) -> None:
            super().__init__()
            self.jobs = jobs
            self.warnings = warnings

    def __init__(
        self,
        provider: Provider,
        clock: Clock,
        *,
        banner: str | None = None,
        banner_note: str = "",
        tunnels: TunnelManager | None = None,
        poll_interval: float = 2.0,
        log_max_lines: int = 100_000,
    ) -> None:
        super().__init__()
        self.banner = banner
        """A fixed top line; when None the provider's own banner (it may change on start)."""
        self.banner_note = banner_note
        self.tunnels = tunnels
        self._restored = False
        self._detector = ServiceDetector()
        self._detected: tuple[Job, DetectedService] | None = None
        self.provider = provider
        self.clock = clock
        self.poll_interval = poll_interval
        self.log_max_lines = log_max_lines
        self.jobs: dict[str, Job] = {}
        self.nodes: dict[str, Node] = {}
        self.selected: Job | None = None
        self.ready = asyncio.Event()
        self._log_job: Job | None = None
        self._log_ended = False
        self._warned: set[str] = set()
        self._reported: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(self._banner_text(), id="banner")
        with Horizontal(id="top"):
            yield JobTable(id="jobs", show_group=bool(getattr(self.provider, "members", None)))
            yield NodeTable(id="nodes")
        with Vertical(id="log-pane"):
            yield LogView(max_lines=self.log_max_lines, id="log")
            yield Input(placeholder="search the log (enter: find, esc: close)", id="log-search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#jobs").border_title = "Jobs"
        self.query_one("#nodes").border_title = "Nodes"
        self._set_log_title()
        self.query_one(JobTable).loading = True
        self._run_provider()

    # --- data ---------------------------------------------------------------------------------

    @work(exclusive=True, group="poll:provider", exit_on_error=False)
    async def _run_provider(self) -> None:
        try:
            await self.provider.start()
        except Exception as exc:
            self.query_one(JobTable).loading = False
            self._fail(self.query_one(JobTable), as_user_error(exc))
            return
        self.ready.set()
        self.query_one("#banner", Static).update(self._banner_text())
        while True:
            await self.refresh_now()
            await asyncio.sleep(self.poll_interval)

    async def refresh_now(self) -> None:
        """Fetch jobs and the selected job's nodes once, and show them."""
        jobs_table = self.query_one(JobTable)
        try:
            jobs = await self.provider.list_jobs()
        except Exception as exc:
            self._fail(jobs_table, as_user_error(exc))
            return
        jobs_table.loading = False
        self._clear_failure(jobs_table)
        self.jobs = {job.key: job for job in jobs}
        now = self.clock.now()
        rows = [job_row(job, now) for job in jobs]
        problems = self.provider.problems()
        for name, problem in problems.items():
            rows.append(
                JobRow(
                    key=f"{name}:!problem",
                    name="(unavailable)",
                    state="error",
                    tone="error",
                    detail=problem.message,
                    group=name,
                )
            )
            if name not in self._reported:
                self.notify(problem.message, title=problem.title, severity="error", timeout=10)
        self._reported = set(problems)
        jobs_table.update_jobs(rows)
        jobs_table.border_title = f"Jobs ({len(jobs)})"
        self._warn_about_time(jobs)
        await self._follow_jobs_with_tunnels(jobs)
        if self.selected is None and jobs_table.cursor_key is not None:
            self._select(jobs_table.cursor_key)
        elif self.selected is not None:
            fresh = self.jobs.get(self.selected.key)
            if fresh is not None and fresh != self.selected:
                restart_log = (
                    fresh.state is not self.selected.state
                    and self.selected.state is JobState.QUEUED
                )
                self.selected = fresh
                if restart_log:
                    self._stream_log(fresh)
            await self._refresh_nodes()

    async def _follow_jobs_with_tunnels(self, jobs: list[Job]) -> None:
        """Close the tunnels of jobs that ended; on the first poll, restore saved ones."""
        if self.tunnels is None:
            return
        await self.tunnels.sync_jobs(jobs)
        if not self._restored:
            self._restored = True
            await self.tunnels.restore([j.key for j in jobs if j.state is JobState.RUNNING])

    def _banner_text(self) -> str:
        text = self.banner or self.provider.banner() or self.provider.name
        return f"{text}{self.banner_note}"

    def _warn_about_time(self, jobs: list[Job]) -> None:
        warnings = {}
        for job in jobs:
            warning = self.provider.time_warning(job) if job.state.is_active else None
            if warning:
                warnings[job.key] = warning
                if job.key not in self._warned:
                    self._warned.add(job.key)
                    self.notify(
                        f"{job.name}: {warning} of its time limit. Its shells and "
                        "tunnels close when it ends.",
                        title="Time limit",
                        severity="warning",
                        timeout=15,
                    )
        self.post_message(self.JobsRefreshed(dict(self.jobs), warnings))

    async def _refresh_nodes(self) -> None:
        job = self.selected
        table = self.query_one(NodeTable)
        if job is None:
            return
        try:
            nodes = await self.provider.list_nodes(job)
        except Exception as exc:
            self._fail(table, as_user_error(exc))
            return
        if self.selected is not job and (self.selected is None or self.selected.key != job.key):
            return  # the selection moved on while we waited
        self._clear_failure(table)
        self.nodes = {node.name: node for node in nodes}
        table.update_nodes([node_row(node) for node in nodes])
        running = sum(1 for node in nodes if node.state.value == "running")
        table.border_title = f"Nodes ({job.name} · {running} running)"

    def _select(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is None or (self.selected is not None and self.selected.key == key):
            return
        self.selected = job
        self.nodes = {}
        self.query_one(NodeTable).update_nodes([])
        self._load_nodes()
        self._stream_log(job)

    @work(exclusive=True, group="nodes", exit_on_error=False)
    async def _load_nodes(self) -> None:
        await self._refresh_nodes()

    @work(exclusive=True, group="log-stream", exit_on_error=False)
    async def _stream_log(self, job: Job) -> None:
        log = self.query_one(LogView)
        pane = self.query_one("#log-pane")
        log.clear()
        self._detector = ServiceDetector()
        self._log_job = job
        self._log_ended = False
        self._clear_failure(pane)
        self._set_log_title()
        offset = 0
        backoff = 1.0
        while not self._log_ended:
            try:
                async for batch in self.provider.stream_log(job, offset=offset):
                    if batch.lines:
                        log.write_lines(batch.lines)
                        self._detect_services(job, batch.lines)
                    offset = batch.offset
                    backoff = 1.0
                    self._clear_failure(pane)
                    if batch.finished:
                        self._log_ended = True
                        self._set_log_title()
                if not self._log_ended:
                    return  # the provider ended the stream: nothing more will come
            except Exception as exc:
                self._fail(pane, as_user_error(exc, title="Log stream interrupted"))
                await asyncio.sleep(backoff)  # then resume from `offset`: no gap, no duplicate
                backoff = min(backoff * 2, 30.0)

    # --- events -------------------------------------------------------------------------------

    @on(JobTable.RowHighlighted, "#jobs")
    def _job_highlighted(self, event: JobTable.RowHighlighted) -> None:
        self._select(event.key)

    @on(JobTable.RowChosen, "#jobs")
    def _job_selected(self, event: JobTable.RowChosen) -> None:
        self._select(event.key)
        self._open_shell_on_master()

    @work(group="open-shell", exit_on_error=False)
    async def _open_shell_on_master(self) -> None:
        job = self.selected
        if job is None:
            return
        try:
            nodes = await self.provider.list_nodes(job)
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        if not nodes:
            self.notify(f"{job.name} has no nodes yet.", title="No node to open")
            return
        self.post_message(self.ShellRequested(job, nodes[0]))

    @on(NodeTable.RowChosen, "#nodes")
    def _node_selected(self, event: NodeTable.RowChosen) -> None:
        node = self.nodes.get(event.key)
        if node is not None and self.selected is not None:
            self.post_message(self.ShellRequested(self.selected, node))

    @on(LogView.TailChanged)
    def _tail_changed(self, event: LogView.TailChanged) -> None:
        self._set_log_title()

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        log = self.query_one(LogView)
        if not event.value:
            return
        if log.search(event.value) is None:
            self.notify(f"No match for {event.value!r}.", title="Search", severity="warning")

    def on_key(self, event: events.Key) -> None:
        search = self.query_one("#log-search", Input)
        if event.key == "escape" and search.has_focus:
            search.remove_class("-shown")
            self.query_one(LogView).focus()

    # --- actions ------------------------------------------------------------------------------

    def action_focus_log(self) -> None:
        """Focus the live log; when it has the focus already, give it the whole height."""
        log = self.query_one(LogView)
        if log.has_focus:
            self.toggle_class("-log-full")
        else:
            log.focus()

    def action_search_log(self) -> None:
        search = self.query_one("#log-search", Input)
        search.add_class("-shown")
        search.focus()

    @property
    def highlighted_node(self) -> Node | None:
        """The node under the nodes pane's cursor."""
        return self.nodes.get(self.query_one(NodeTable).cursor_key or "")

    def action_external_ssh(self) -> None:
        node = self.highlighted_node
        if node is None or self.selected is None:
            self.notify("Highlight a node first.", title="System ssh")
            return
        self.post_message(self.ShellRequested(self.selected, node, external=True))

    async def action_refresh(self) -> None:
        await self.refresh_now()

    # --- helpers ------------------------------------------------------------------------------

    def _set_log_title(self) -> None:
        pane = self.query_one("#log-pane")
        log = self.query_one(LogView)
        job = self._log_job
        name = job.name if job else "no job selected"
        if self._log_ended and log.follow:
            state = "complete"
        elif log.follow:
            state = "following"
        else:
            state = f"paused · {log.pending} new lines · end to follow"
        pane.border_title = f"Live log: {name} ({state})"

    def _fail(self, pane: Widget, exc: ClusterdeckError) -> None:
        pane.add_class("-error")
        pane.border_subtitle = exc.title
        self.notify(exc.message, title=exc.title, severity="error", timeout=8)

    def _clear_failure(self, pane: Widget) -> None:
        if pane.has_class("-error"):
            pane.remove_class("-error")
            pane.border_subtitle = ""
