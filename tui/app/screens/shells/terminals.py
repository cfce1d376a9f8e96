"""Shell tabs: one embedded terminal per SSH session, the dashboard a chord away."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from tui.app.bindings import TERMINAL_KEYS
from tui.app.plain import plain
from tui.app.screens.shells.broadcast import Broadcast
from tui.app.screens.shells.close_dialog import CloseTabDialog, end_or_detach
from tui.app.screens.shells.labels import ended_label, persist_tag, short_route
from tui.app.screens.shells.persist import Restorable, SessionLedger
from tui.app.screens.shells.recording import Recordings
from tui.core.models import SshTarget
from tui.core.ssh.persistent_shell import PersistentShell
from widgets.footer import KeyFooter
from widgets.terminal import messages
from widgets.terminal.backend import TerminalBackend
from widgets.terminal.view import TerminalView


class TerminalScreen(Screen[None]):
    """Tabs of terminals. Every key goes to the focused shell except the app chords."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id, tooltip=k.tooltip)
        for k in TERMINAL_KEYS
    ]

    class RestoreRequested(Message):
        """alt+s: open tabs on the sessions in `TerminalScreen.restorable`."""

    def __init__(
        self,
        *,
        passthrough_keys: frozenset[str],
        recordings_dir: Path,
        record_input: bool = False,
        ledger: SessionLedger | None = None,
    ) -> None:
        super().__init__()
        self.passthrough_keys = passthrough_keys
        self.broadcast = Broadcast(self._marks_changed)
        """The tabs marked for broadcast input."""
        self.recordings = Recordings(
            recordings_dir,
            record_input=record_input,
            notify=lambda *args, **kwargs: self.app.notify(*args, **kwargs),
            changed=self._set_label,
        )
        """The tabs being recorded."""
        self.ledger = ledger
        """Where persistent sessions are remembered (None: nowhere)."""
        self.restorable: list[Restorable] = []
        """Sessions of running jobs still alive on their nodes, not open in a tab (alt+s)."""
        self._persistent: dict[str, PersistentShell] = {}
        """Pane id -> its shell, when it is a persistent one."""
        self._notes_shown: set[str] = set()
        self._count = 0
        self._labels: dict[str, str] = {}
        self._targets: dict[str, SshTarget] = {}
        self._jobs: dict[str, str] = {}
        self._warnings: dict[str, str] = {}
        self._titles: dict[str, str] = {}
        """Pane id -> the title the remote set (OSC 0/2), shown instead of the label."""
        self._ended: dict[str, str] = {}
        """Pane id -> how its session ended, for the tab label (" (exited)")."""
        self._routes: dict[str, str] = {}
        """Pane id -> the route its shell took, when the backend chose one (`route`)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="terminal-hint")
        yield TabbedContent(id="terminal-tabs")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._update_hint()

    @property
    def views(self) -> list[TerminalView]:
        """Every open terminal, in tab order."""
        return list(self.query(TerminalView))

    @property
    def active_view(self) -> TerminalView | None:
        """The terminal of the selected tab."""
        if not self.is_mounted:
            return None
        tabs = self.query_one(TabbedContent)
        if not tabs.active:
            return None
        views = tabs.get_pane(tabs.active).query(TerminalView)
        return views.first() if views else None  # None while its tab is still mounting

    async def open_tab(
        self,
        label: str,
        backend: TerminalBackend,
        target: SshTarget | None = None,
        job_key: str | None = None,
    ) -> TerminalView:
        """Add a tab running `backend`, select it and focus its terminal."""
        self._count += 1
        pane_id = f"shell-{self._count}"
        view = TerminalView(backend, passthrough_keys=self.passthrough_keys, guard_paste=True)
        self._labels[pane_id] = label
        if target is not None:
            self._targets[pane_id] = target
        if job_key is not None:
            self._jobs[pane_id] = job_key
        if isinstance(backend, PersistentShell):
            self._persistent[pane_id] = backend
            backend.on_change = lambda shell: self._persist_changed(view, shell)
        tabs = self.query_one(TabbedContent)
        await tabs.add_pane(TabPane(plain(label), view, id=pane_id))
        tabs.active = pane_id
        view.focus()
        self._update_hint()
        return view

    async def close_tab(self, view: TerminalView) -> None:
        """Close `view`'s tab (its channel closes when the view unmounts)."""
        pane = self._pane_of(view)
        if pane is None or pane.id is None:
            return
        self.recordings.stop(view)
        self.broadcast.discard(view)
        known_maps = (self._labels, self._targets, self._titles, self._ended, self._jobs)
        for known in (*known_maps, self._routes):
            known.pop(pane.id, None)
        self._persistent.pop(pane.id, None)
        await self.query_one(TabbedContent).remove_pane(pane.id)
        self._update_hint()
        if self.active_view is not None:
            self.active_view.focus()
        else:
            self.app.pop_screen()

    def set_time_warnings(self, warnings: dict[str, str]) -> None:
        """Show `warnings` (job key -> "6 min left") beside the tabs of those jobs."""
        self._warnings = warnings
        for pane in self.query(TabPane):
            # a tab whose terminal is still mounting has no view yet: skip it
            for view in pane.query(TerminalView) if pane.id in self._jobs else ():
                self._set_label(view)

    def label_of(self, view: TerminalView) -> str:
        """The label the tab was opened with (`user@node`)."""
        pane = self._pane_of(view)
        return self._labels.get(pane.id or "", "shell") if pane is not None else "shell"

    def target_of(self, view: TerminalView) -> SshTarget | None:
        """The SSH target of `view`'s session, when it is an SSH shell."""
        pane = self._pane_of(view)
        return self._targets.get(pane.id or "") if pane is not None else None

    def persistent_of(self, view: TerminalView) -> PersistentShell | None:
        """`view`'s shell when it is a persistent one."""
        pane = self._pane_of(view)
        return self._persistent.get(pane.id or "") if pane is not None else None

    @property
    def open_persistent(self) -> list[PersistentShell]:
        """Every open tab's persistent shell (running, reattaching or ended)."""
        return list(self._persistent.values())

    def select(self, view: TerminalView) -> None:
        """Show `view`'s tab."""
        pane = self._pane_of(view)
        if pane is not None and pane.id is not None:
            self.query_one(TabbedContent).active = pane.id
            view.focus()

    @property
    def persistent_shells(self) -> list[PersistentShell]:
        """The open tabs' shells that run in tmux on their node, attached or reattaching."""
        return [shell for shell in self._persistent.values() if shell.alive]

    def offer_restore(self, restorable: list[Restorable]) -> None:
        """Offer `restorable` (alt+s) in the hint line."""
        open_names = {shell.name for shell in self._persistent.values()}
        self.restorable = [r for r in restorable if r.session.name not in open_names]
        if self.is_mounted:
            self._update_hint()

    def _persist_changed(self, view: TerminalView, shell: PersistentShell) -> None:
        if shell.note and shell.note not in self._notes_shown:
            self._notes_shown.add(shell.note)
            self.app.notify(shell.note, title="Persistent shell", severity="warning", timeout=10)
        if shell.persistent and self.ledger is not None:
            self.ledger.add(shell.job, shell.node, shell.name)
        if view.is_attached:
            self._set_label(view)

    def job_of(self, view: TerminalView) -> str | None:
        """The key of the job whose node `view`'s shell is on, if any."""
        pane = self._pane_of(view)
        return self._jobs.get(pane.id or "") if pane is not None else None

    def _pane_of(self, view: TerminalView) -> TabPane | None:
        for node in view.ancestors:
            if isinstance(node, TabPane):
                return node
        return None

    def _set_label(self, view: TerminalView, title: str | None = None) -> None:
        pane = self._pane_of(view)
        if pane is None or pane.id is None:
            return
        if title:
            self._titles[pane.id] = title
        base = self._titles.get(pane.id) or self._labels.get(pane.id, "shell")
        suffix = self._ended.get(pane.id, "") if view.state == "exited" else ""
        shell = self._persistent.get(pane.id)
        if shell is not None:
            suffix = persist_tag(shell) + suffix
        route = self._routes.get(pane.id)
        if route:
            suffix = f" · {short_route(route)}{suffix}"
        warning = self._warnings.get(self._jobs.get(pane.id, ""))
        if warning:
            suffix += f" ⚠ {warning}"
        tab = self.query_one(TabbedContent).get_tab(pane.id)
        marks = self._marks(view)
        tab.label = plain(f"{marks}{base}{suffix}")
        tab.set_class(self.broadcast.is_marked(view), "-broadcast")
        tab.set_class(self.recordings.is_recording(view), "-recording")

    def _marks(self, view: TerminalView) -> str:
        """The label's loud prefix: `● REC ` while recorded, `⇶ BROADCAST ` while marked."""
        marks = "● REC " if self.recordings.is_recording(view) else ""
        return marks + ("⇶ BROADCAST " if self.broadcast.is_marked(view) else "")

    def _marks_changed(self) -> None:
        for view in self.views:
            self._set_label(view)
        self._update_hint()
        self.refresh_bindings()  # the footer shows alt+x only while broadcasting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.broadcast.views) if action == "broadcast_off" else True

    def route_of(self, view: TerminalView) -> str | None:
        """The route `view`'s shell took ("srun --overlap (...)"), when its backend chose one."""
        pane = self._pane_of(view)
        return self._routes.get(pane.id or "") if pane is not None else None

    def _update_hint(self) -> None:
        if not self.is_mounted:
            return
        count = len(self.query(TabPane))
        hint = self.query_one("#terminal-hint", Static)
        marked = len(self.broadcast.views)
        hint.set_class(marked > 0, "-broadcast")
        if marked:
            hint.update(
                f"⇶ BROADCAST: what you type goes to {marked} tab{'s' if marked != 1 else ''} "
                "(marked ⇶) · alt+b unmark this tab · alt+x broadcast off"
            )
            return
        view = self.active_view
        route = self.route_of(view) if view is not None else None
        text = (
            (f"{route} · " if route else "")
            + f"{count} shell{'s' if count != 1 else ''} · ctrl+] dashboard · "
            "ctrl+pgup/pgdn switch tabs · shift+pgup/pgdn scroll back · drag to select"
        )
        if self.restorable:
            many = len(self.restorable)
            text = (
                f"{many} session{'s' if many != 1 else ''} still running on the nodes: "
                f"alt+s restores {'them' if many != 1 else 'it'} · {text}"
            )
        hint.update(plain(text))

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        view = self.active_view
        if view is not None:
            view.focus()
        self._update_hint()

    @on(messages.TitleChanged)
    def _title_changed(self, event: messages.TitleChanged) -> None:
        if event.title:
            self._set_label(event.terminal_view, title=event.title[:40])

    @on(messages.Started)
    def _started(self, event: messages.Started) -> None:
        pane = self._pane_of(event.terminal_view)
        route = getattr(event.terminal_view.backend, "route", None)
        if pane is not None and pane.id is not None and isinstance(route, str) and route:
            self._routes[pane.id] = route
        self._set_label(event.terminal_view)
        self._update_hint()

    @on(messages.Exited)
    def _exited(self, event: messages.Exited) -> None:
        pane = self._pane_of(event.terminal_view)
        if pane is not None and pane.id is not None:
            self._ended[pane.id] = ended_label(event.exit_info)
            if event.exit_info.reason.startswith("failed: "):
                self._routes.pop(pane.id, None)  # no route was taken this time
                why = event.exit_info.reason.removeprefix("failed: ")
                label = self.label_of(event.terminal_view)
                self.app.notify(
                    why, title=f"Shell on {label} failed", severity="error", markup=False
                )
        self.recordings.stop(event.terminal_view, event.exit_info.exit_status)
        self._set_label(event.terminal_view)

    def action_next_tab(self) -> None:
        self._cycle(1)

    def action_previous_tab(self) -> None:
        self._cycle(-1)

    def _cycle(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        panes = [pane.id for pane in self.query(TabPane) if pane.id]
        if not panes or tabs.active not in panes:
            return
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]

    async def action_close_tab(self) -> None:
        """Close the tab; a live tmux shell asks first: detach or end the session."""
        view = self.active_view
        if view is None:
            return
        shell = self.persistent_of(view)
        if shell is None or not shell.persistent or view.state == "exited":
            await self.close_tab(view)
            return
        dialog = CloseTabDialog(self.label_of(view), shell.name, shell.active)
        self.app.push_screen(dialog, lambda choice: self._close_chosen(view, shell, choice))

    def _close_chosen(self, view: TerminalView, shell: PersistentShell, choice: str | None) -> None:
        if choice is not None:
            done = end_or_detach(self.app, shell, choice, self.ledger)
            self.run_worker(self._close_after(view, done), exit_on_error=False)

    async def _close_after(self, view: TerminalView, done: Awaitable[bool]) -> None:
        if await done:
            await self.close_tab(view)

    def action_restore_sessions(self) -> None:
        if self.restorable:
            self.post_message(self.RestoreRequested())
        else:
            self.app.notify(
                "No session of a running job is waiting on the nodes.", title="Restore sessions"
            )

    # -- broadcast and recording -------------------------------------------------------------

    def action_broadcast_mark(self) -> None:
        view = self.active_view
        if view is not None:
            self.broadcast.toggle(view)

    def action_broadcast_job(self) -> None:
        view = self.active_view
        job = self.job_of(view) if view is not None else None
        if job is None:
            self.app.notify("This tab is not a shell on a job's node.", title="Broadcast")
            return
        self.broadcast.mark([other for other in self.views if self.job_of(other) == job])

    def action_broadcast_off(self) -> None:
        if self.broadcast.clear():
            self.app.notify("Broadcast off: keys go to one tab again.", title="Broadcast")

    def action_record(self) -> None:
        view = self.active_view
        if view is not None:
            self.recordings.toggle(view, self.label_of(view))
