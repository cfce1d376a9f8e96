"""The Files screen on a job's files through its provider's API (Rescale), not over SFTP.

The same screen, table and transfers list: the job's stored outputs (or its running run's live
folder) shown as folders, `d` downloads, `u` stores an input file, `w` watches a running job.
Rename, new folder, delete, go to and bookmarks do not apply (their keys are hidden).
"""

from __future__ import annotations

import asyncio
import posixpath
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.widgets import Static

from tui.app.plain import plain
from tui.app.screens.dialogs.ask import ask
from tui.app.screens.files.api_listing import (
    API_SORTS,
    ApiEntry,
    api_rows,
    entries_in,
    parent_of,
    read_preview,
)
from tui.app.screens.files.dialogs import PathDialog
from tui.app.screens.files.listing import preview_lines
from tui.app.screens.files.screen import FilesScreen, local_path
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import Job, SshTarget
from tui.core.printable import inert
from tui.core.providers.base import Provider
from tui.core.providers.files import JobFile, JobFiles
from tui.core.ssh.pool import SshPool
from tui.core.transfers import Conflict, Direction, TransferManager, TransferSpec, TransferState
from tui.core.transfers.bookmarks import Bookmarks
from tui.core.transfers.watch import ApiWatch
from widgets.log.view import LogView
from widgets.tables.file import PARENT, FileTable

API_TARGET = SshTarget("api")
"""The (unused) SSH target of an API transfer."""
NOT_OFFERED = frozenset({"mkdir", "rename", "delete", "goto", "bookmark", "bookmarks"})
"""The SFTP screen's actions that API files do not have."""


class ApiFilesScreen(FilesScreen):
    """A job's files through `provider.job_files(job)`: browse, download, upload, watch."""

    watch_interval: ClassVar[float] = 5.0
    """Seconds between listings while watching."""

    def __init__(
        self,
        pool: SshPool,
        transfers: TransferManager,
        provider: Provider,
        job: Job,
        files: JobFiles,
        *,
        download_dir: Path,
        bookmarks: Bookmarks,
    ) -> None:
        super().__init__(
            pool,
            transfers,
            API_TARGET,
            where=job.name,
            start="",
            cluster=job.provider or provider.name,
            download_dir=download_dir,
            bookmarks=bookmarks,
        )
        self.provider = provider
        self.job = job
        self.api = files
        self.folder = ""
        self.listed: list[JobFile] = []
        self.api_entries: list[ApiEntry] = []
        self.watching = False
        self.watch_fetched = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "watch":  # only while the job runs (its live folder is listed)
            return self.watching or self.running
        return action not in NOT_OFFERED

    @property
    def running(self) -> bool:
        """The job still runs: its live folder is listed (an empty one, while it starts)."""
        if self.listed:
            return any(f.live for f in self.listed)
        return not self.job.state.is_finished

    # --- the listing -------------------------------------------------------------------------

    @work(group="files-list", exclusive=True, exit_on_error=False)
    async def load(self, folder: str, select: str | None = None) -> None:
        """Show `folder` (relative to the one shown; `..` up); on failure stay where we were."""
        table = self.query_one(FileTable)
        table.loading = True
        try:
            self.listed = await self.api.list()
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        finally:
            table.loading = False
        previous = posixpath.basename(self.folder)
        going_up = folder == ".."
        if going_up:
            self.folder = parent_of(self.folder)
        elif folder not in (".", ""):
            self.folder = posixpath.join(self.folder, folder) if self.folder else folder
        self.api_entries = entries_in(self.listed, self.folder)
        self._show()
        self.refresh_bindings()
        table.select_key(select or (previous if going_up else PARENT))

    def _show(self) -> None:
        if not self.is_mounted:
            return
        rows = api_rows(
            self.api_entries,
            sort=self.sort if self.sort in API_SORTS else "name",
            hidden=self.hidden,
            needle=self.needle,
            at_top=not self.folder,
        )
        self.query_one(FileTable).show(rows)
        where = "live run folder" if self.running else "stored outputs"
        facts = [
            f"{inert(self.api.label)} API: {where}",
            "no rename, new folder or delete",
        ]
        if self.watching:
            facts.append(f"watching: {self.watch_fetched} fetched")
        if self.needle:
            facts.append(f"filter: {inert(self.needle)}")
        self.query_one("#files-path", Static).update(
            plain(f"{self.where}:/{self.folder}  ·  {' · '.join(facts)}")
        )

    def _relist(self, listed: list[JobFile]) -> None:
        """Show a newer listing (from the watch) when its paths changed, keeping the cursor."""
        if {f.path for f in listed} == {f.path for f in self.listed}:
            return
        table = self.query_one(FileTable)
        cursor = table.cursor_key
        self.listed = listed
        self.api_entries = entries_in(listed, self.folder)
        self._show()
        if cursor is not None:
            table.select_key(cursor)

    def _chosen_api_entry(self) -> ApiEntry | None:
        key = self.query_one(FileTable).cursor_key
        return next((e for e in self.api_entries if e.name == key), None)

    def open_row(self, key: str) -> None:
        if key == PARENT:
            self.load("..")
            return
        entry = next((e for e in self.api_entries if e.name == key), None)
        if entry is None:
            return
        if entry.file is None:
            self.load(entry.name)
        else:
            self.preview_api(entry.name, entry.file)

    @work(group="files-preview", exclusive=True, exit_on_error=False)
    async def preview_api(self, name: str, file: JobFile) -> None:
        """The file in the preview pane: a small one whole, the tail of a big (listed) one,
        the start of a live one (its size is not listed)."""
        view = self.query_one(LogView)
        try:
            offset, data = await read_preview(self.api, file)
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
            return
        view.clear()
        view.follow = offset > 0
        size = file.size if file.size is not None else offset + len(data)
        view.write_lines(preview_lines(data, size=size, offset=offset))
        if offset == 0:
            view.call_after_refresh(view.scroll_home, animate=False)
        self.query_one("#files-preview").border_title = plain(f"Preview: {name}")

    def action_cycle_sort(self) -> None:
        self.sort = API_SORTS[(API_SORTS.index(self.sort) + 1) % len(API_SORTS)]
        self._show()

    # --- transfers ---------------------------------------------------------------------------

    @work(group="files-dialog", exit_on_error=False)
    async def _download(self) -> None:
        entry = self._chosen_api_entry()
        if entry is None:
            self.notify("Highlight a file or folder first.", title="Download")
            return
        local = await self._ask_local_folder(entry.name)
        if local is None:
            return
        remote = posixpath.join(self.folder, entry.name)
        spec = TransferSpec(Direction.DOWN, API_TARGET, remote, local, label=remote, api=self.api)
        self.transfers.start(spec)

    @work(group="files-dialog", exit_on_error=False)
    async def _upload(self) -> None:
        question = f"Store a local file as an input file of {self.api.label}:"
        source = await ask(self.app, PathDialog("Upload", question, self.home + "/"))
        if not source:
            return
        spec = TransferSpec(Direction.UP, API_TARGET, "", local_path(source), api=self.api)
        transfer = self.transfers.start(spec)
        await self.transfers.wait(transfer)
        if transfer.state is TransferState.DONE and transfer.outcome is not None:
            self.notify(
                f"{inert(transfer.label)} stored as file id {inert(transfer.outcome.dest)} "
                "(for a job's inputFiles).",
                title="Uploaded",
                timeout=30,
            )

    # --- watch -------------------------------------------------------------------------------

    def action_watch(self) -> None:
        if self.watching:
            self.workers.cancel_group(self, "files-watch")
            self.notify(f"Stopped watching {self.job.name}.", title="Watch")
            return
        self.watch_outputs()

    @work(group="files-watch", exclusive=True, exit_on_error=False)
    async def watch_outputs(self) -> None:
        """Download new output files into the job's download folder as they appear, until
        the job ends (or `w` again)."""
        self.watching, self.watch_fetched = True, 0
        self._show()
        self.notify(f"Watching {self.job.name}'s outputs into {self.download_dir}.", title="Watch")
        try:
            await self._watch_loop(ApiWatch())
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
        else:
            self.notify(
                f"{self.job.name} has ended: {self.watch_fetched} file(s) fetched.", title="Watch"
            )
        finally:
            self.watching = False
            self._show()
            self.refresh_bindings()

    async def _watch_loop(self, watch: ApiWatch) -> None:
        while True:
            now = next((j for j in await self.provider.list_jobs() if j.key == self.job.key), None)
            ended = now is None or now.state.is_finished
            files = self.provider.job_files(now or self.job) or self.api
            listed = await files.list()
            if listed and not any(f.live for f in listed):
                ended = True  # stored outputs only: the run is over (the job list may lag)
            self._relist(listed)
            for file in watch.due(listed):
                spec = TransferSpec(
                    Direction.DOWN,
                    API_TARGET,
                    file.path,
                    self.download_dir,
                    label=file.path,
                    api=files,
                    conflict=Conflict.OVERWRITE,  # a changed output replaces the earlier copy
                )
                transfer = await self.transfers.wait(self.transfers.start(spec))
                if transfer.state is TransferState.DONE:
                    watch.done(file)
                    self.watch_fetched += 1
                    self._show()
            if ended:
                return
            await asyncio.sleep(self.watch_interval)
