"""Actions on the highlighted job: details, stop, and tunnels to services its log announces."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.message import Message

from tui.app.screens.dashboard.ssh_config import SshConfigActions
from tui.app.screens.dialogs.access_rule import AccessRuleDialog
from tui.app.screens.dialogs.confirm import ConfirmDialog, DetailsDialog
from tui.app.screens.rows import local_time_and_age
from tui.app.screens.tunnels.screen import tunnel_service
from tui.core.clock import Clock
from tui.core.errors import ProviderError, as_user_error
from tui.core.identity.cidr import PublicAddressGuard
from tui.core.models import Job, Node
from tui.core.providers.base import Capability, Provider
from tui.core.tunnels import TunnelManager
from tui.core.tunnels.detect import DetectedService

CopyText = Callable[[str], None]


class JobActionsScreen(SshConfigActions):
    """The dashboard's job actions (MainScreen builds on this)."""

    provider: Provider
    clock: Clock
    """The app's clock (for the ages in the job details)."""
    tunnels: TunnelManager | None
    access_guard: PublicAddressGuard | None
    """Checks this workstation's address against a job's access rule, when configured."""
    copy_text: CopyText | None
    """Puts text on the local clipboard (the tunnel-it URL)."""
    _detected: tuple[Job, DetectedService] | None

    class FilesRequested(Message):
        """The user asked for the Files screen on `node` of `job` (`on_job`: its master,
        opened in the job's working directory; None: the job's files through the API)."""

        def __init__(self, job: Job, node: Node | None, *, on_job: bool) -> None:
            super().__init__()
            self.job = job
            self.node = node
            self.on_job = on_job

    @property
    def selected(self) -> Job | None:
        """The highlighted job (the dashboard implements it)."""
        return None

    def action_files(self) -> None:
        self._open_files()

    @work(group="files", exit_on_error=False)
    async def _open_files(self) -> None:
        job = self.selected
        if job is None:
            self.notify("Highlight a job or a node first.", title="Files")
            return
        node = self.focused_node
        if node is None and self.provider.job_files(job) is not None:
            self.post_message(self.FilesRequested(job, None, on_job=True))  # its API files
            return
        if node is None:
            try:
                nodes = await self.provider.list_nodes(job)
            except Exception as exc:
                error = as_user_error(exc)
                self.notify(error.message, title=error.title, severity="error")
                return
            if not nodes:
                self.notify(f"{job.name} has no nodes yet.", title="Files")
                return
            self.post_message(self.FilesRequested(job, nodes[0], on_job=True))
            return
        self.post_message(self.FilesRequested(job, node, on_job=False))

    async def refresh_now(self) -> None:
        """Fetch fresh data (the dashboard implements it)."""

    def action_access_rule(self) -> None:
        self._edit_access_rule()

    @work(group="access-rule", exit_on_error=False)
    async def _edit_access_rule(self) -> None:
        rule = ""
        if self.selected is not None:
            try:
                details = await self.provider.job_details(self.selected)
            except Exception:
                details = {}
            found = next((v for k, v in details.items() if "CIDR" in k), "")
            rule = found.split(" (")[0]
        chosen = await self.app.push_screen_wait(AccessRuleDialog(rule, guard=self.access_guard))
        if chosen:
            self.app.copy_to_clipboard(chosen)
            self.notify(
                f"Copied {chosen}: paste it into the job's access restriction.", title="Access rule"
            )

    def action_tunnel_detected(self) -> None:
        if self._detected is None or self.tunnels is None:
            self.notify("No service seen in the log yet.", title="Tunnel it")
            return
        self._tunnel_detected(*self._detected)

    @work(group="tunnel-it", exit_on_error=False)
    async def _tunnel_detected(self, job: Job, service: DetectedService) -> None:
        assert self.tunnels is not None
        try:
            nodes = await self.provider.list_nodes(job)
            if not nodes:
                raise ProviderError(f"{job.name} has no nodes to tunnel through")
            target = self.provider.ssh_target(nodes[0])
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        await tunnel_service(
            self.app,
            self.tunnels,
            service,
            job=job,
            node=nodes[0],
            target=target,
            copy=self.copy_text,
        )

    def action_job_details(self) -> None:
        self._show_details()

    @work(group="details", exit_on_error=False)
    async def _show_details(self) -> None:
        job = self.selected
        if job is None:
            return
        facts = {
            "Job": f"{job.name} ({job.id})",
            "State": job.state.value,
            "Provider": job.provider or self.provider.name,
        }
        for label, value in (("Owner", job.owner), ("Detail", job.status_detail)):
            if value:
                facts[label] = value
        now = self.clock.now()
        for label, moment in (
            ("Submitted", job.submitted),
            ("Started", job.started),
            ("Ended", job.ended),
        ):
            if moment is not None:
                facts[label] = local_time_and_age(moment, now)
        times = set(facts) & {"Submitted", "Started", "Ended"}
        try:
            details = await self.provider.job_details(job)
            facts.update((k, v) for k, v in details.items() if k not in times)
        except Exception as exc:
            error = as_user_error(exc)
            facts["Details unavailable"] = error.message
        await self.app.push_screen(DetailsDialog(f"Job {job.name}", facts))

    def action_stop_job(self) -> None:
        job = self.selected
        if job is None:
            return
        if Capability.STOP_JOB not in self.provider.capabilities:
            self.notify(f"The {self.provider.name} provider cannot stop jobs.", title="Stop job")
            return
        if not job.state.is_active:
            self.notify(f"{job.name} is {job.state.value}: nothing to stop.", title="Stop job")
            return
        self._stop(job)

    @work(group="stop-job", exit_on_error=False)
    async def _stop(self, job: Job) -> None:
        question = (
            f"Stop {job.name} ({job.id})? Its processes end and its nodes go away; "
            "open shells and tunnels to it close."
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmDialog("Stop job", question, confirm="Stop job")
        )
        if not confirmed:
            return
        try:
            await self.provider.stop_job(job)  # never retried: stopping twice is not harmless
        except Exception as exc:
            error = as_user_error(exc, title="Stop failed")
            self.notify(error.message, title=error.title, severity="error")
            return
        self.notify(f"Asked {self.provider.name} to stop {job.name}.", title="Stop job")
        await self.refresh_now()
