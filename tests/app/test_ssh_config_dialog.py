"""`S` on the dashboard: the node's ssh config block, copied or written to a file for Include."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.apphelpers import Running
from tests.conftest import wait_until
from tui.app.screens.dialogs.ssh_config import SshConfigDialog
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable


async def open_dialog(running: Running) -> SshConfigDialog:
    app, pilot = running
    await pilot.press("S")
    await wait_until(
        lambda: isinstance(app.screen, SshConfigDialog), pause=pilot.pause, what="the dialog"
    )
    assert isinstance(app.screen, SshConfigDialog)
    return app.screen


async def test_s_on_a_job_shows_its_masters_block_and_copies_it(running_app: Running) -> None:
    app, pilot = running_app
    job = app.main_screen.selected
    assert job is not None and job.name == "cfd-wing"
    app.main_screen.query_one(JobTable).focus()
    dialog = await open_dialog(running_app)
    master = next(iter(app.main_screen.nodes.values()))
    assert f"Host clusterdeck-demo-{job.id}-{master.name}\n" in dialog.text
    assert f"    Port {master.port}\n" in dialog.text
    assert str(app.pool.job_hosts_path) in dialog.text  # the known_hosts the app trusts
    await pilot.press("enter")  # Copy has the focus
    await wait_until(
        lambda: "Copied" in str(dialog.query_one("#ssh-config-result").render()),
        pause=pilot.pause,
        what=f"copy; {dialog.focused}",
    )
    assert app.bridge.read_local() == dialog.text
    await pilot.press("escape")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="closed")


async def test_s_on_a_node_writes_its_block_next_to_the_users_own(
    running_app: Running, tmp_path: Path
) -> None:
    app, pilot = running_app
    nodes = app.main_screen.query_one(NodeTable)
    nodes.focus()
    await pilot.press("down", "down")
    node = app.main_screen.highlighted_node
    assert node is not None and node.name == "worker-2"
    dialog = await open_dialog(running_app)
    job = app.main_screen.selected
    assert job is not None
    assert f"Host clusterdeck-demo-{job.id}-{node.name}\n" in dialog.text
    target = tmp_path / "ssh" / "clusterdeck.conf"
    target.parent.mkdir()
    target.write_text("Host mine\n    User me\n")
    dialog.query_one("#ssh-config-path", Input).value = str(target)
    dialog.query_one("#ssh-config-write").focus()
    await pilot.press("enter")
    await wait_until(
        lambda: "Include" in str(dialog.query_one("#ssh-config-result").render()),
        pause=pilot.pause,
        what="written",
    )
    text = target.read_text()
    assert text.startswith("Host mine\n    User me\n") and dialog.text in text
    assert target.stat().st_mode & 0o777 == 0o600
    dialog.query_one("#ssh-config-path", Input).focus()
    await pilot.press("enter")  # again, from the path field: replaced, not doubled
    await wait_until(
        lambda: "replaced" in str(dialog.query_one("#ssh-config-result").render()),
        pause=pilot.pause,
        what="written again",
    )
    assert target.read_text().count("Host clusterdeck-demo-") == 1


async def test_s_on_a_queued_job_says_it_has_no_allocation(running_app: Running) -> None:
    app, pilot = running_app
    jobs = app.main_screen.query_one(JobTable)
    jobs.focus()
    queued = next(job for job in app.main_screen.jobs.values() if job.name == "md-run")
    jobs.select_key(queued.key)
    await wait_until(
        lambda: app.main_screen.selected == queued, pause=pilot.pause, what="md-run selected"
    )
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    await pilot.press("S")
    await wait_until(lambda: bool(notes), pause=pilot.pause, what="a notification")
    assert notes == ["md-run has no allocation yet: it is pending."]
    assert not isinstance(app.screen, SshConfigDialog)
