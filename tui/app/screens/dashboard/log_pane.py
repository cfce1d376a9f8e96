"""The dashboard's live log pane: its title, search, full height and StdOut/StdErr switch."""

from __future__ import annotations

from textual import events, on
from textual.widgets import Input

from tui.app.plain import plain
from tui.app.screens.dashboard.job_actions import JobActionsScreen
from tui.core.models import Job
from tui.core.watch import JobWatcher
from widgets.log.view import LogView


class LogPaneActions(JobActionsScreen):
    """The live log's keys and title (MainScreen builds on this)."""

    watcher: JobWatcher
    _log_job: Job | None
    """The job whose log is shown."""
    _log_name: str
    """Which of its logs is followed ("" before the first one starts)."""
    _log_ended: bool

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

    def action_switch_log(self) -> None:
        """Follow the selected job's other log (StdOut <-> StdErr), when it has one."""
        job = self.selected
        if job is None:
            return
        names = self.provider.log_names(job)
        if len(names) < 2:
            self.notify(
                f"{job.name} has one log: its errors go to the same file as its output.",
                title="StdOut / StdErr",
            )
            return
        current = self._log_name or names[0]
        self.watcher.switch_log(names[(names.index(current) + 1) % len(names)])

    def _set_log_title(self) -> None:
        pane = self.query_one("#log-pane")
        log = self.query_one(LogView)
        job = self._log_job
        name = job.name if job else "no job selected"
        if job is not None and job.array_id:
            name = f"{name} {job.array_id}_{job.array_task or job.id}"
        logs = self.provider.log_names(job) if job is not None else ()
        if self._log_name or len(logs) > 1:
            name = f"{name} · {self._log_name or logs[0]}"
        if self._log_ended and log.follow:
            state = "complete"
        elif log.follow:
            state = "following"
        else:
            state = f"paused · {log.pending} new lines · end to follow"
        pane.border_title = plain(f"Live log: {name} ({state})")
