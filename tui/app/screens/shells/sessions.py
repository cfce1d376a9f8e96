"""`P` on a node: its clusterdeck sessions (tmux or screen) for the job: attach, rename, kill."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from tui.app.plain import plain
from tui.app.screens.dialogs.confirm import ConfirmDialog
from tui.app.screens.shells.persist import belongs
from tui.core.errors import ClusterdeckError
from tui.core.models import Job, Node, SshTarget
from tui.core.printable import inert
from tui.core.ssh.persistent import RemoteSession, RemoteSessions


def ago(epoch: int, now: float | None = None) -> str:
    """`epoch` as an age: `12 s`, `5 min`, `3 h`, `2 d` ago."""
    if not epoch:
        return "-"
    seconds = max(0, int((now if now is not None else time.time()) - epoch))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


class RenameDialog(ModalScreen[str | None]):
    """Asks for a session's new name (enter: rename, escape: cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="rename-cancel"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.old = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = plain(f"Rename {self.old}")
            box.border_subtitle = "enter: rename · esc: cancel"
            yield Label("Letters, digits, '_' and '-'.")
            yield Input(self.old, id="rename-name")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class SessionsScreen(ModalScreen[str | None]):
    """The job's sessions on one node; dismissed with the name to attach, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close", id="sessions-close"),
        Binding("enter", "attach", "Attach", id="sessions-attach"),
        Binding("r", "rename", "Rename", id="sessions-rename"),
        Binding("k,delete", "kill", "Kill", id="sessions-kill"),
    ]

    def __init__(self, job: Job, node: Node, target: SshTarget, sessions: RemoteSessions) -> None:
        super().__init__()
        self.job = job
        self.node = node
        self.target = target
        self.sessions = sessions
        self.listed: list[RemoteSession] = []
        """The sessions shown, in table order."""
        self.loaded = False
        """The first listing finished (or failed)."""
        self.now: Callable[[], float] = time.time
        """Epoch seconds, for the ages shown (tests may set it)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="sessions-box") as box:
            box.border_title = plain(f"Sessions on {self.node.name}")
            box.border_subtitle = "enter: attach · r: rename · k: kill · esc: close"
            yield Static("listing…", id="sessions-note")
            table: DataTable[str] = DataTable(id="sessions-table", cursor_type="row")
            table.add_columns("session", "clients", "created", "last output")
            yield table

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """List the node's sessions again."""
        self.run_worker(self._load(), group="sessions-list", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        note = self.query_one("#sessions-note", Static)
        table = self.query_one("#sessions-table", DataTable)
        try:
            probe = await self.sessions.probe(self.target)
        except ClusterdeckError as exc:
            note.update(plain(f"{exc.title}: {exc.message}"))
            self.loaded = True
            return
        active = self.job.state.is_active
        self.listed = [s for s in probe.sessions if belongs(s, self.job)] if active else []
        table.clear()
        for session in self.listed:
            table.add_row(
                inert(session.name),
                str(session.attached),
                ago(session.created, self.now()),
                ago(session.activity, self.now()),
                key=session.name,
            )
        program = self.sessions.mux.program
        if not probe.installed:
            text = f"{program} is not installed on {self.node.name}: no persistent shells here."
        elif not active:
            text = f"Job {self.job.name} has ended: its sessions are not listed."
        elif not self.listed:
            text = f"No clusterdeck session of job {self.job.name} on {self.node.name}."
        else:
            count = len(self.listed)
            text = f"{count} session{'s' if count != 1 else ''} of job {self.job.name}:"
        note.update(plain(text))
        self.loaded = True
        table.focus()

    def _chosen(self) -> RemoteSession | None:
        table = self.query_one("#sessions-table", DataTable)
        if not self.listed or table.cursor_row >= len(self.listed):
            return None
        return self.listed[table.cursor_row]

    def action_attach(self) -> None:
        session = self._chosen()
        if session is not None:
            self.dismiss(session.name)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_attach()

    def action_rename(self) -> None:
        session = self._chosen()
        if session is not None:
            self.app.push_screen(
                RenameDialog(session.name),
                lambda new: (
                    self._run(self.sessions.rename(self.target, session.name, new))
                    if new and new != session.name
                    else None
                ),
            )

    def action_kill(self) -> None:
        session = self._chosen()
        if session is None:
            return
        question = (
            f"Kill the {self.sessions.mux.program} session {session.name} on {self.node.name}, "
            "and everything "
            "running in it?"
        )
        self.app.push_screen(
            ConfirmDialog("Kill session", question, confirm="Kill"),
            lambda yes: self._run(self.sessions.kill(self.target, session.name)) if yes else None,
        )

    def _run(self, action: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await action
            except ClusterdeckError as exc:
                self.app.notify(exc.message, title=exc.title, severity="error")
            self.reload()

        self.run_worker(run(), exit_on_error=False)
