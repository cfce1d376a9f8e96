"""Opening shell tabs: persistent ones in tmux, restored ones, and the per-node sessions list."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tui.app.screens.shells.persist import (
    Restorable,
    SessionLedger,
    find_restorable,
    persist_mode,
)
from tui.app.screens.shells.sessions import SessionsScreen
from tui.core.errors import ClusterdeckError
from tui.core.models import Job, Node, SshTarget
from tui.core.ssh import SshShellBackend
from tui.core.ssh.persistent import RemoteSession, RemoteSessions, session_name
from tui.core.ssh.persistent_screen import multiplexer_for
from tui.core.ssh.persistent_shell import PersistentShell
from tui.core.watch import JobsEnded, JobsUpdated, WatchEvent

if TYPE_CHECKING:
    from tui.app.app import ClusterdeckApp


class ShellOpener:
    """The app's shell tabs: which backend a node gets, restoring, the `P` sessions list."""

    def __init__(self, app: ClusterdeckApp, ledger: SessionLedger) -> None:
        self.app = app
        self.ledger = ledger
        self._looked = False

    def sessions_for(self, job: Job, node: Node) -> RemoteSessions:
        """Lists, renames and kills clusterdeck's sessions on `node` (tmux, or screen when
        its `persistent` setting says so)."""
        mode = persist_mode(self.app.settings, job, node.name)
        return RemoteSessions(self.app.pool, multiplexer_for(mode))

    async def open_shell(
        self, job: Job, node: Node, target: SshTarget, *, session: str | None = None
    ) -> None:
        """A tab with a shell on `node`: in tmux session `session` (or the next free name)
        unless the node's `persistent` setting is off."""
        if self.app.screen is not self.app.terminals:
            await self.app.push_screen(self.app.terminals)
        for view in self.app.terminals.views:  # that session is open already: show its tab
            shell = self.app.terminals.persistent_of(view)
            if session is not None and shell is not None and shell.name == session:
                self.app.terminals.select(view)
                return
        label = f"{target.user + '@' if target.user else ''}{node.name}"
        inner = self.app.provider.shell_backend(node) or SshShellBackend(self.app.pool, target)
        backend: SshShellBackend | PersistentShell = inner
        mode = persist_mode(self.app.settings, job, node.name)
        if session is not None and mode == "off":
            mode = "tmux"  # a session chosen in the list (`P`) is attached whatever the setting
        if mode != "off":
            taken = {shell.name for shell in self.app.terminals.open_persistent}
            number = 1
            while session is None and session_name(job.id, node.name, number) in taken:
                number += 1
            backend = PersistentShell(
                inner,
                self.sessions_for(job, node),
                name=session or session_name(job.id, node.name, number),
                job=job.key,
                node=node.name,
                mode=mode,
                taken=lambda name: name in taken,
            )
        await self.app.terminals.open_tab(label, backend, target, job.key)

    async def restore_all(self) -> None:
        """alt+s: a tab per session still alive on the nodes."""
        waiting, self.app.terminals.restorable = self.app.terminals.restorable, []
        for item in waiting:
            await self._restore_one(item)
        self.app.terminals.offer_restore([])
        if waiting:
            many = len(waiting)
            self.app.notify(
                f"Restored {many} shell session{'s' if many != 1 else ''}.", title="Shells"
            )

    async def _restore_one(self, item: Restorable) -> None:
        try:
            target = replace(self.app.provider.ssh_target(item.node), trust_scope=item.job.key)
        except ClusterdeckError as exc:
            self.app.notify(exc.message, title=exc.title, severity="warning")
            return
        await self.open_shell(item.job, item.node, target, session=item.session.name)

    def node_sessions(self, job: Job | None, node: Node | None) -> None:
        """P: `node`'s tmux sessions of `job` (attach, rename, kill)."""
        if job is None or node is None:
            self.app.notify("Highlight a node first (in the nodes table).", title="Sessions")
            return
        try:
            target = replace(self.app.provider.ssh_target(node), trust_scope=job.key)
        except ClusterdeckError as exc:
            self.app.notify(exc.message, title=exc.title, severity="warning")
            return
        self.app.push_screen(
            SessionsScreen(job, node, target, self.sessions_for(job, node)),
            lambda chosen: self._sessions_chosen(job, node, chosen),
        )

    def _sessions_chosen(self, job: Job, node: Node, chosen: str | None) -> None:
        if chosen is not None:
            self.app.run_worker(
                self._restore_one(Restorable(job, node, RemoteSession(chosen, True))),
                exit_on_error=False,
            )

    def watched(self, event: WatchEvent) -> None:
        """Look for sessions to restore after the first listing; forget ended jobs."""
        if isinstance(event, JobsUpdated) and not self._looked:
            self._looked = True
            if not event.problems:
                self.ledger.retain(j.key for j in event.jobs if j.state.is_active)
            self.app.run_worker(
                self._look_for_sessions(event.jobs), group="sessions", exit_on_error=False
            )
        if isinstance(event, JobsEnded):
            self.ledger.retain(k for k in self.ledger.jobs if k not in event.keys)

    async def _look_for_sessions(self, jobs: tuple[Job, ...]) -> None:
        """After a start: offer the sessions of running jobs still alive on their nodes."""
        open_names = [shell.name for shell in self.app.terminals.open_persistent]
        found = await find_restorable(
            self.app.provider, self.sessions_for, self.ledger, jobs, open_names=open_names
        )
        self.app.terminals.offer_restore(found)
        if self.app.terminals.restorable:
            count = len(self.app.terminals.restorable)
            self.app.notify(
                f"{count} shell session{'s' if count != 1 else ''} of running jobs "
                f"{'are' if count != 1 else 'is'} still alive on the nodes: ctrl+] then alt+s "
                f"restores {'them' if count != 1 else 'it'}.",
                title="Shells",
                timeout=15,
            )
