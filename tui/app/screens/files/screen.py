"""The Files screen (`F`): browse a node's folders over SFTP, preview, move files both ways.

Every remote operation goes through the app's SSH pool; transfers run in the app's
`TransferManager`, so they carry on (and stay listed) when this screen is closed.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Static

from tui.app.bindings import FILES_KEYS
from tui.app.plain import plain
from tui.app.screens.dialogs.ask import ask
from tui.app.screens.dialogs.confirm import ConfirmDialog
from tui.app.screens.files.dialogs import BookmarksDialog, PathDialog
from tui.app.screens.files.listing import (
    PREVIEW_BYTES,
    SORTS,
    file_rows,
    preview_lines,
    transfer_line,
)
from tui.core.errors import ClusterdeckError, as_user_error
from tui.core.models import SshTarget
from tui.core.printable import inert
from tui.core.ssh.files import RemoteEntry, RemoteFiles
from tui.core.ssh.pool import SshPool
from tui.core.transfers import Direction, Transfer, TransferManager, TransferSpec
from tui.core.transfers.bookmarks import Bookmarks
from widgets.footer import KeyFooter
from widgets.log.view import LogView
from widgets.tables.file import PARENT, FileTable
from widgets.transfers.list import TransferList


def local_path(text: str) -> Path:
    """A local path as typed (`~` expanded)."""
    return Path(text).expanduser()


class FilesScreen(Screen[None]):
    """One node's files: a folder table, a preview, the transfers list.

    Args:
        target: The node (with the job's trust scope).
        where: `job / node`, for the path bar.
        start: The folder to open first (None: the SFTP server's start, the home directory).
        cluster: Whose bookmarks these are (the provider's name).
        download_dir: The default local folder for downloads (`~/Downloads/clusterdeck/<job>`).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id) for k in FILES_KEYS
    ]

    AUTO_FOCUS = "#files-table"

    DEFAULT_CSS = """
    FilesScreen {
        #files-path { height: 1; background: $panel; padding: 0 1; }
        #files-filter { display: none; }
        #files-filter.-shown { display: block; }
        #files-main { height: 1fr; }
        #files-table { width: 3fr; border: round $panel; }
        #files-table:focus-within { border: round $accent; }
        #files-preview { width: 2fr; border: round $panel; }
    }
    """

    def __init__(
        self,
        pool: SshPool,
        transfers: TransferManager,
        target: SshTarget,
        *,
        where: str,
        start: str | None,
        cluster: str,
        download_dir: Path,
        bookmarks: Bookmarks,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.transfers = transfers
        self.target = target
        self.where = where
        self.folder = start or "."
        self.cluster = cluster
        self.download_dir = download_dir
        self.bookmarks = bookmarks
        self.entries: list[RemoteEntry] = []
        self.sort = "name"
        self.hidden = False
        self.needle = ""
        self._unsubscribe: Callable[[], None] | None = None
        self.home = str(Path.home())

    def compose(self) -> ComposeResult:
        yield Static("", id="files-path", markup=False)
        yield Input(placeholder="filter names (enter: keep, esc: clear)", id="files-filter")
        with Horizontal(id="files-main"):
            yield FileTable(id="files-table")
            yield LogView(max_lines=20_000, id="files-preview")
        yield TransferList(id="files-transfers", classes="-empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#files-preview").border_title = "Preview"
        self.query_one("#files-transfers").border_title = "Transfers"
        self._unsubscribe = self.transfers.subscribe(lambda _: self._show_transfers())
        self._show_transfers()
        self.query_one(FileTable).focus()
        self.load(self.folder)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # --- the folder --------------------------------------------------------------------------

    @work(group="files-list", exclusive=True, exit_on_error=False)
    async def load(self, folder: str, select: str | None = None) -> None:
        """Show `folder` (relative to the one shown); on failure stay where we were."""
        table = self.query_one(FileTable)
        table.loading = True
        try:
            async with self.pool.sftp(self.target) as files:
                path = await files.realpath(posixpath.join(self.folder, folder))
                entries = await files.listdir(path)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        finally:
            table.loading = False
        previous = posixpath.basename(self.folder.rstrip("/"))
        going_up = folder == ".."
        self.folder, self.entries = path, entries
        self._show()
        table.select_key(select or (previous if going_up else PARENT))

    def _show(self) -> None:
        rows = file_rows(
            self.entries,
            sort=self.sort,
            hidden=self.hidden,
            needle=self.needle,
            at_root=self.folder == "/",
        )
        self.query_one(FileTable).show(rows)
        marks = " ★" if self.folder in self.bookmarks.of(self.cluster) else ""
        facts = [f"sort: {self.sort}", f"hidden: {'shown' if self.hidden else 'off'}"]
        if self.needle:
            facts.append(f"filter: {inert(self.needle)}")
        self.query_one("#files-path", Static).update(
            plain(f"{self.where}:{self.folder}{marks}  ·  {' · '.join(facts)}")
        )

    def _chosen_entry(self) -> RemoteEntry | None:
        key = self.query_one(FileTable).cursor_key
        return next((e for e in self.entries if e.name == key), None)

    @on(FileTable.RowChosen, "#files-table")
    def _row_chosen(self, event: FileTable.RowChosen) -> None:
        self.open_row(event.key)

    def open_row(self, key: str) -> None:
        """Enter on a row: open the folder (or `..`), preview the file."""
        if key == PARENT:
            self.load("..")
            return
        entry = next((e for e in self.entries if e.name == key), None)
        if entry is None:
            return
        if entry.stat.is_dir:
            self.load(entry.name)
        else:
            self.preview(entry)

    @work(group="files-preview", exclusive=True, exit_on_error=False)
    async def preview(self, entry: RemoteEntry) -> None:
        """The file in the preview pane (the tail of a big one; a binary one described)."""
        view = self.query_one(LogView)
        path = posixpath.join(self.folder, entry.name)
        size = entry.stat.size
        offset = max(0, size - PREVIEW_BYTES)
        try:
            async with self.pool.sftp(self.target) as files:
                data = await files.read_range(path, offset, PREVIEW_BYTES)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        view.clear()
        view.follow = offset > 0  # a whole file reads from its top; a tail from its end
        view.write_lines(preview_lines(data, size=size, offset=offset))
        if offset == 0:
            view.call_after_refresh(view.scroll_home, animate=False)
        self.query_one("#files-preview").border_title = plain(f"Preview: {entry.name}")

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "watch"  # API files only (`ApiFilesScreen`)

    def action_back(self) -> None:
        filter_box = self.query_one("#files-filter", Input)
        if filter_box.has_focus:
            filter_box.value = ""
            self._filter_done()
            return
        self.dismiss(None)

    def action_parent(self) -> None:
        self.load("..")

    def action_reload(self) -> None:
        self.load(".", select=self.query_one(FileTable).cursor_key)

    def action_toggle_hidden(self) -> None:
        self.hidden = not self.hidden
        self._show()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._show()

    def action_filter(self) -> None:
        box = self.query_one("#files-filter", Input)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#files-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value
        self._show()

    @on(Input.Submitted, "#files-filter")
    def _filter_submitted(self) -> None:
        self._filter_done()

    def _filter_done(self) -> None:
        box = self.query_one("#files-filter", Input)
        if not box.value:
            box.remove_class("-shown")
        self.query_one(FileTable).focus()

    def action_goto(self) -> None:
        self._goto()

    @work(group="files-dialog", exit_on_error=False)
    async def _goto(self) -> None:
        folder = await ask(self.app, PathDialog("Go to", "Remote folder:", self.folder))
        if folder:
            self.load(folder)

    def action_bookmark(self) -> None:
        added = self.bookmarks.toggle(self.cluster, self.folder)
        self.notify(
            f"{self.folder} {'bookmarked' if added else 'no longer bookmarked'}.",
            title="Bookmarks",
        )
        self._show()

    def action_bookmarks(self) -> None:
        self._bookmarks()

    @work(group="files-dialog", exit_on_error=False)
    async def _bookmarks(self) -> None:
        dialog = BookmarksDialog(self.cluster, self.bookmarks.of(self.cluster))
        folder = await ask(self.app, dialog)
        if folder:
            self.load(folder)

    def action_download(self) -> None:
        self._download()

    @work(group="files-dialog", exit_on_error=False)
    async def _download(self) -> None:
        entry = self._chosen_entry()
        if entry is None:
            self.notify("Highlight a file or folder first.", title="Download")
            return
        local = await self._ask_local_folder(entry.name)
        if local is not None:
            remote = posixpath.join(self.folder, entry.name)
            self.transfers.start(TransferSpec(Direction.DOWN, self.target, remote, local))

    async def _ask_local_folder(self, name: str) -> Path | None:
        """Ask where `name` goes (the job's download folder offered) and make that folder."""
        question = f"Download {name} into the local folder:"
        into = await ask(self.app, PathDialog("Download", question, str(self.download_dir)))
        if not into:
            return None
        local = local_path(into)
        try:
            os.makedirs(local, exist_ok=True)
        except OSError as exc:
            self.notify(f"Cannot make {local}: {exc.strerror or exc}", severity="error")
            return None
        return local

    def action_upload(self) -> None:
        self._upload()

    @work(group="files-dialog", exit_on_error=False)
    async def _upload(self) -> None:
        question = f"Upload a local file or folder into {self.folder}:"
        source = await ask(self.app, PathDialog("Upload", question, self.home + "/"))
        if not source:
            return
        local = local_path(source)
        spec = TransferSpec(Direction.UP, self.target, self.folder, local)
        transfer = self.transfers.start(spec)
        await self.transfers.wait(transfer)
        self.action_reload()

    def action_mkdir(self) -> None:
        self._mkdir()

    @work(group="files-dialog", exit_on_error=False)
    async def _mkdir(self) -> None:
        name = await ask(self.app, PathDialog("New folder", f"A new folder in {self.folder}:"))
        if name:
            await self._remote(lambda f: f.mkdir(posixpath.join(self.folder, name)), name)

    def action_rename(self) -> None:
        self._rename()

    @work(group="files-dialog", exit_on_error=False)
    async def _rename(self) -> None:
        entry = self._chosen_entry()
        if entry is None:
            return
        new = await ask(self.app, PathDialog("Rename", f"New name for {entry.name}:", entry.name))
        if not new or new == entry.name:
            return
        old_path, new_path = (posixpath.join(self.folder, n) for n in (entry.name, new))
        await self._remote(lambda f: f.rename(old_path, new_path, replace=False), new)

    def action_delete(self) -> None:
        self._delete()

    @work(group="files-dialog", exit_on_error=False)
    async def _delete(self) -> None:
        entry = self._chosen_entry()
        if entry is None:
            return
        folder = entry.stat.is_dir and not entry.stat.is_link
        what = f"the folder {entry.name} and everything in it" if folder else entry.name
        question = f"Delete {what} on {self.where}? This cannot be undone."
        if not await ask(self.app, ConfirmDialog("Delete", question, confirm="Delete")):
            return
        path = posixpath.join(self.folder, entry.name)

        async def remove(files: RemoteFiles) -> object:
            return await (files.rmtree(path) if folder else files.remove(path))

        await self._remote(remove, None)

    async def _remote(
        self, operation: Callable[[RemoteFiles], Awaitable[object]], select: str | None
    ) -> None:
        """Run `operation(files)` on an SFTP session; report an error; reload the folder."""
        try:
            async with self.pool.sftp(self.target) as files:
                await operation(files)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
        except Exception as exc:
            error = as_user_error(exc)
            self.notify(error.message, title=error.title, severity="error")
        self.load(".", select=select)

    # --- transfers ---------------------------------------------------------------------------

    def _show_transfers(self) -> None:
        if not self.is_mounted:
            return
        lines = [transfer_line(t) for t in reversed(self.transfers.transfers)]
        self.query_one(TransferList).show(lines)

    def _chosen_transfer(self) -> Transfer | None:
        key = self.query_one(TransferList).chosen
        return next((t for t in self.transfers.transfers if str(t.id) == key), None)

    def action_cancel_transfer(self) -> None:
        transfer = self._chosen_transfer()
        if transfer is None or not self.transfers.cancel(transfer):
            self.notify("No running transfer to cancel.", title="Transfers")

    def action_retry_transfer(self) -> None:
        transfer = self._chosen_transfer()
        if transfer is None or not self.transfers.retry(transfer):
            self.notify("Only a failed or cancelled transfer can be retried.", title="Transfers")
