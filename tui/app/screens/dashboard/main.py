"""The dashboard: jobs, the nodes of the highlighted job, and its live log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.app.bindings import DASHBOARD_KEYS
from tui.app.plain import plain
from tui.app.screens.dashboard.arrays import ArrayRows
from tui.app.screens.dashboard.job_actions import CopyText
from tui.app.screens.dashboard.log_pane import LogPaneActions
from tui.app.screens.dashboard.node_detail import NodeDetailScreen
from tui.app.screens.rows import node_row
from tui.core.clock import format_age
from tui.core.config.settings import DEFAULT_LOG_MAX_LINES
from tui.core.errors import ClusterdeckError, ProviderError, as_user_error
from tui.core.identity.cidr import PublicAddressGuard
from tui.core.models import Job, JobState, Node, NodeState, SshTarget
from tui.core.printable import inert
from tui.core.providers.base import Capability, CompositeProvider, capability_note
from tui.core.tunnels.detect import DetectedService
from tui.core.watch import (
    Failed,
    JobsUpdated,
    JobWatcher,
    LogFinished,
    LogLines,
    LogNote,
    LogStarted,
    NodesUpdated,
    Pane,
    ProviderProblem,
    ProviderStarted,
    ProviderStartFailed,
    Recovered,
    SelectionChanged,
    ServiceDetected,
    WatchEvent,
)
from tui.core.watch.sampler import NodeMetrics
from widgets.footer import KeyFooter
from widgets.log.view import LogView
from widgets.tables.job import JobRow, JobTable
from widgets.tables.node import NodeTable

METRICS_REFRESH = 1.0
"""Seconds between two redraws of the nodes pane's metrics (and of the poll status)."""


def no_nodes_note(job: Job) -> str:
    """Why a shell cannot open on `job` yet: no allocation while queued, no nodes otherwise."""
    if job.state is JobState.QUEUED:
        detail = f" ({job.status_detail})" if job.status_detail else ""
        return f"{job.name} has no allocation yet{detail}: its shell opens once it runs."
    return f"{job.name} has no nodes yet."


class MainScreen(LogPaneActions):
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

    def __init__(
        self,
        watcher: JobWatcher,
        *,
        banner: str | None = None,
        banner_note: str = "",
        status_note: str = "",
        log_max_lines: int = DEFAULT_LOG_MAX_LINES,
        access_guard: PublicAddressGuard | None = None,
        copy_text: CopyText | None = None,
        metrics: NodeMetrics | None = None,
    ) -> None:
        super().__init__()
        self.metrics = metrics
        """Samplers of the shown job's nodes (None: no metrics)."""
        self._metrics_dirty = False
        self._metrics_drawn_at = float("-inf")
        self.watcher = watcher
        self.provider = watcher.provider
        self.clock = watcher.clock
        self.tunnels = watcher.tunnels
        self.access_guard = access_guard
        self.copy_text = copy_text
        self.banner = banner
        """A fixed top line; when None the provider's own banner (it may change on start)."""
        self.banner_note = banner_note
        self.status_note = status_note
        """The right end of the top line (the clipboard in use); it always stays visible."""
        self.log_max_lines = log_max_lines
        self.ready = asyncio.Event()
        """Set once the provider has started."""
        self._detected: tuple[Job, DetectedService] | None = None
        self._log_job: Job | None = None
        self._log_name = ""
        self._log_ended = False
        self._arrays = ArrayRows()
        self._last_jobs: JobsUpdated | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def jobs(self) -> dict[str, Job]:
        """The last job listing, by key."""
        return self.watcher.jobs

    @property
    def nodes(self) -> dict[str, Node]:
        """The selected job's nodes, by name."""
        return self.watcher.nodes

    @property
    def selected(self) -> Job | None:
        """The job whose nodes and log are shown."""
        return self.watcher.selected

    def compose(self) -> ComposeResult:
        with Horizontal(id="banner"):
            yield Static(self._banner_text(), id="banner-text", markup=False)
            yield Static(self.status_note, id="banner-status", markup=False)
        with Horizontal(id="top"):
            yield JobTable(id="jobs", show_group=isinstance(self.provider, CompositeProvider))
            yield NodeTable(id="nodes")
        with Vertical(id="log-pane"):
            yield LogView(max_lines=self.log_max_lines, id="log")
            yield Input(placeholder="search the log (enter: find, esc: close)", id="log-search")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#jobs").border_title = "Jobs"
        self.query_one("#nodes").border_title = "Nodes"
        self._set_log_title()
        self.query_one(JobTable).loading = True
        self._unsubscribe = self.watcher.subscribe(self._show)
        if self.metrics is not None:
            self.metrics.subscribe(self._metrics_changed)
        self.set_interval(METRICS_REFRESH, self._tick)
        self.watcher.start()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.metrics is not None:
            self.metrics.show(None, [], self._target_of)

    async def refresh_now(self) -> None:
        """Fetch jobs and the selected job's nodes once, and show them."""
        await self.watcher.refresh_now()

    # --- what the watcher reports -------------------------------------------------------------

    def _show(self, event: WatchEvent) -> None:
        match event:
            case ProviderStarted():
                self.ready.set()
                self.query_one("#banner-text", Static).update(self._banner_text())
            case ProviderStartFailed(error=error):
                self.query_one(JobTable).loading = False
                self._fail(self.query_one(JobTable), error)
            case JobsUpdated():
                self._show_jobs(event)
            case ProviderProblem(error=problem):
                self.notify(problem.message, title=problem.title, severity="error", timeout=10)
            case SelectionChanged():
                if self.metrics is not None:
                    self.metrics.show(None, [], self._target_of)
                self.query_one(NodeTable).update_nodes([])
            case NodesUpdated(job=job, nodes=nodes):
                if self.metrics is not None:
                    self.metrics.show(job.key, nodes, self._target_of)
                self._show_nodes(job, nodes)
            case LogStarted(job=job, name=name):
                self.query_one(LogView).clear()
                self._log_job = job
                self._log_name = name
                self._log_ended = False
                self._clear_failure(self.query_one("#log-pane"))
                self._set_log_title()
            case LogLines(lines=lines):
                self.query_one(LogView).write_lines(lines)
            case LogNote(note=note):
                self.query_one(LogView).write_lines((f"── {inert(note)} ──",))
            case LogFinished():
                self._log_ended = True
                self._set_log_title()
            case ServiceDetected(job=job, service=service):
                self._detected = (job, service)
                self.notify(
                    f"{service.label.capitalize()} in {job.name}'s log: "
                    "press T to tunnel it (the local URL is copied).",
                    title="Service detected",
                    timeout=12,
                )
            case Failed(pane=pane, error=error, first=first, age=age):
                self._fail(self._pane(pane), error, notify=first, age=age)
            case Recovered(pane=pane):
                self._clear_failure(self._pane(pane))

    def _show_nodes(self, job: Job, nodes: Iterable[Node]) -> None:
        """The node rows, with each node's metrics (the samples kept so far)."""
        metrics = self.metrics
        nodes = list(nodes)
        table = self.query_one(NodeTable)
        table.update_nodes(
            [node_row(n, metrics.history(n.name) if metrics else None) for n in nodes]
        )
        running = sum(1 for node in nodes if node.state is NodeState.RUNNING)
        note = f" · {metrics.status}" if metrics is not None and metrics.status else ""
        table.border_title = plain(f"Nodes ({job.name} · {running} running{note})")

    def _metrics_changed(self, _node: str) -> None:
        self._metrics_dirty = True

    def _tick(self) -> None:
        """Once a second: new samples into the nodes pane, the poll status under the jobs."""
        jobs = self.query_one(JobTable)
        if not jobs.has_class("-error"):
            jobs.border_subtitle = self.watcher.poll_status()
        metrics = self.metrics
        if metrics is None or not self._metrics_dirty or self.selected is None:
            return
        now = time.monotonic()  # a drawing pace, not the job clock
        if now - self._metrics_drawn_at >= metrics.settings.interval - METRICS_REFRESH / 2:
            # At most once per sampling interval: a frame of 64 changed rows is not free.
            self._metrics_dirty = False
            self._metrics_drawn_at = now
            self._show_nodes(self.selected, self.nodes.values())

    def _target_of(self, node: Node) -> SshTarget:
        """Where the sampler of `node` connects (the provider's SSH target for it)."""
        job = self.selected
        note = capability_note(self.provider, Capability.SHELL, job)
        if note is not None:
            raise ProviderError(f"no metrics: {note}")
        return self.provider.ssh_target(node)

    def _show_jobs(self, event: JobsUpdated) -> None:
        jobs_table = self.query_one(JobTable)
        jobs_table.loading = False
        self._last_jobs = event
        rows = self._arrays.rows(event.jobs, event.now)
        for name, problem in event.problems.items():
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
        jobs_table.update_jobs(rows)
        jobs_table.border_title = f"Jobs ({self._arrays.count})"
        if not jobs_table.has_class("-error"):
            jobs_table.border_subtitle = self.watcher.poll_status()

    def _pane(self, pane: Pane) -> Widget:
        if pane is Pane.JOBS:
            return self.query_one(JobTable)
        if pane is Pane.NODES:
            return self.query_one(NodeTable)
        return self.query_one("#log-pane")

    def _banner_text(self) -> str:
        text = self.banner or self.provider.banner() or self.provider.name
        return f"{text}{self.banner_note}"

    # --- events -------------------------------------------------------------------------------

    @on(JobTable.RowHighlighted, "#jobs")
    def _job_highlighted(self, event: JobTable.RowHighlighted) -> None:
        key = self._arrays.job_for(event.key, self.selected)
        if key is not None:
            self.watcher.select(key)

    @on(JobTable.RowChosen, "#jobs")
    def _job_selected(self, event: JobTable.RowChosen) -> None:
        key = self._arrays.job_for(event.key)
        if key is None:
            self.action_toggle_array()
            return
        self.watcher.select(key)
        self._open_shell_on_master()

    @work(group="open-shell", exit_on_error=False)
    async def _open_shell_on_master(self) -> None:
        job = self.selected
        if job is None:
            return
        if job.state is JobState.QUEUED:
            self.notify(no_nodes_note(job), title="No node to open")
            return
        try:
            nodes = await self.provider.list_nodes(job)
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        if not nodes:
            self.notify(no_nodes_note(job), title="No node to open")
            return
        self.post_message(self.ShellRequested(job, nodes[0]))

    @on(NodeTable.RowChosen, "#nodes")
    def _node_selected(self, event: NodeTable.RowChosen) -> None:
        node = self.nodes.get(event.key)
        if node is not None and self.selected is not None:
            self.post_message(self.ShellRequested(self.selected, node))

    # --- actions ------------------------------------------------------------------------------

    @property
    def highlighted_node(self) -> Node | None:
        """The node under the nodes pane's cursor."""
        return self.nodes.get(self.query_one(NodeTable).cursor_key or "")

    @property
    def focused_node(self) -> Node | None:
        """For `S` and `F`: the highlighted node while the nodes pane has the focus, else None
        (the job's master)."""
        return self.highlighted_node if self.query_one(NodeTable).has_focus else None

    def action_external_ssh(self) -> None:
        node = self.highlighted_node
        if node is None or self.selected is None:
            self.notify("Highlight a node first.", title="System ssh")
            return
        self.post_message(self.ShellRequested(self.selected, node, external=True))

    def action_node_metrics(self) -> None:
        """The highlighted node's metrics and their history (sampled now if it was not)."""
        node = self.highlighted_node
        if node is None or self.metrics is None:
            self.notify("Highlight a node first.", title="Node metrics")
            return
        if node.name not in self.metrics.sampled:
            self.metrics.ask(node)
        self.app.push_screen(NodeDetailScreen(self.metrics, node.name))

    async def action_refresh(self) -> None:
        await self.refresh_now()

    def action_toggle_array(self) -> None:
        """Open or close the array under the jobs cursor (or show more of its tasks)."""
        table = self.query_one(JobTable)
        key = table.cursor_key
        if not table.has_focus or key is None or self._last_jobs is None:
            return
        target = self._arrays.toggle(key)
        if target is None:
            return
        self._show_jobs(self._last_jobs)
        table.select_key(target)

    # --- helpers ------------------------------------------------------------------------------

    def _fail(
        self, pane: Widget, exc: ClusterdeckError, *, notify: bool = True, age: float | None = None
    ) -> None:
        """Mark `pane` stale with the reason (and how old its data is); notify once per outage."""
        pane.add_class("-error")
        pane.border_subtitle = plain(
            exc.title if age is None else f"{exc.title} · data from {format_age(age)} ago"
        )
        if notify:
            self.notify(exc.message, title=exc.title, severity="error", timeout=8)

    def _clear_failure(self, pane: Widget) -> None:
        if pane.has_class("-error"):
            pane.remove_class("-error")
            pane.border_subtitle = ""
