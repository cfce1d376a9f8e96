"""Build the Files screen for a node of a job, with the app's services (or say why not)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tui.app.screens.dialogs.ask import ask
from tui.app.screens.files.api_screen import ApiFilesScreen
from tui.app.screens.files.dialogs import ConflictDialog
from tui.app.screens.files.screen import FilesScreen
from tui.core.errors import ClusterdeckError
from tui.core.models import Job, Node
from tui.core.providers.base import Capability, capability_note
from tui.core.transfers import Conflict
from tui.core.transfers.paths import job_download_dir

if TYPE_CHECKING:
    from textual.app import App

    from tui.app.app import ClusterdeckApp
    from tui.core.transfers.runner import ConflictQuestion


async def files_screen(
    app: ClusterdeckApp, job: Job, node: Node | None, *, on_job: bool
) -> FilesScreen | None:
    """The Files screen on `node` (`on_job`: in the job's working directory), or None after
    telling the user why not (no SSH to the provider's nodes, no address). On the job itself
    (or without SSH), a provider that serves job files through its API gets those instead."""
    provider = app.provider
    no_shell = capability_note(provider, Capability.SHELL, job)
    api = provider.job_files(job)
    if api is not None and (on_job or node is None or no_shell is not None):
        return ApiFilesScreen(
            app.pool,
            app.transfers,
            provider,
            job,
            api,
            download_dir=job_download_dir(app.settings.download_dir, job.name),
            bookmarks=app.bookmarks,
        )
    if node is None:
        app.notify(f"{job.name} has no nodes yet.", title="Files")
        return None
    if no_shell is not None:
        app.notify(no_shell.replace("no shell", "no file access"), title="No files")
        return None
    try:
        target = replace(provider.ssh_target(node), trust_scope=job.key)
        start = await provider.work_dir(job) if on_job else None
    except ClusterdeckError as exc:
        app.notify(exc.message, title=exc.title, severity="warning")
        return None
    return FilesScreen(
        app.pool,
        app.transfers,
        target,
        where=f"{job.name}/{node.name}",
        start=start,
        cluster=job.provider or provider.name,
        download_dir=job_download_dir(app.settings.download_dir, job.name),
        bookmarks=app.bookmarks,
    )


def conflict_question(app: App[None]) -> ConflictQuestion:
    """Asks, in a dialog, what to do about a transfer's existing destination (esc: skip)."""

    async def question(path: str) -> tuple[Conflict, bool]:
        answer = await ask(app, ConflictDialog(path))
        return answer if answer is not None else (Conflict.SKIP, False)

    return question
