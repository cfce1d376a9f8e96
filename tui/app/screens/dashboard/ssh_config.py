"""`S` on the dashboard: the ssh config block of the highlighted node (or the job's master)."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.screen import Screen

from tui.app.screens.dialogs.ssh_config import SshConfigDialog
from tui.core.errors import as_user_error
from tui.core.models import Job, JobState, Node
from tui.core.providers.base import Provider
from tui.core.sshconfig.blocks import render_blocks
from tui.core.sshconfig.build import TrustFiles, node_blocks
from tui.core.sshconfig.write import DEFAULT_FILE, write_blocks


class SshConfigActions(Screen[None]):
    """The dashboard's `S` (MainScreen builds on this, through JobActionsScreen)."""

    provider: Provider
    ssh_trust: TrustFiles | None = None
    """The known_hosts files the app's pool trusts (set by the app)."""

    @property
    def selected(self) -> Job | None:
        return None

    @property
    def focused_node(self) -> Node | None:
        """The node the nodes pane has focused and highlighted (the dashboard implements it)."""
        return None

    def action_ssh_config(self) -> None:
        job = self.selected
        if job is None:
            self.notify("Highlight a job first.", title="SSH config")
            return
        self._show_ssh_config(job, self.focused_node)

    @work(group="ssh-config", exit_on_error=False)
    async def _show_ssh_config(self, job: Job, node: Node | None) -> None:
        trust = self.ssh_trust
        if trust is None:  # the app sets it; a bare screen (tests) has no trust files
            self.notify("No SSH trust files are set up here.", title="SSH config")
            return
        if job.state is JobState.QUEUED:
            self.notify(f"{job.name} has no allocation yet: it is pending.", title="SSH config")
            return
        try:
            if node is None:
                nodes = await self.provider.list_nodes(job)
                if not nodes:
                    self.notify(f"{job.name} has no nodes.", title="SSH config")
                    return
                node = nodes[0]
            blocks = await node_blocks(self.provider, job, node, trust)
        except Exception as exc:
            error = as_user_error(exc, title="SSH config")
            self.notify(error.message, title=error.title, severity="error")
            return

        def write(path: Path) -> str:
            written = write_blocks(path, blocks)
            return (
                f"{written.summary}. Add `Include {written.path}` at the top of ~/.ssh/config, "
                f"then: ssh {blocks[-1].alias}"
            )

        self.app.push_screen(
            SshConfigDialog(
                f"SSH config: {node.name} of {job.name}",
                render_blocks(blocks),
                copy=self.app.copy_to_clipboard,
                write=write,
                default_path=DEFAULT_FILE,
            )
        )
