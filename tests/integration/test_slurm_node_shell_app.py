"""The whole app on an srun-only Slurm site: the shell tab says its route, resizes reach srun."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import wait_until
from tests.integration.node_sites import refusing_node_sshd
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import slurm_cluster_fixture  # noqa: F401 - fixture
from tui.app.factory import make_app
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable
from widgets.terminal.view import TerminalView

pytestmark = pytest.mark.sshd


async def run_line(view: TerminalView, pilot: Pilot[None], command: str, expect: str) -> None:
    view.send(command.encode() + b"\r")
    await wait_until(
        lambda: any(expect in row for row in view.screen_text()),
        pause=pilot.pause,
        within=20,
        what=f"{expect!r} after {command!r}",
    )


async def test_srun_only_site_in_the_app(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    assert slurm_cluster.sshd is not None
    state = tmp_path / "state"
    state.mkdir()
    with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
        options = {
            "host": "127.0.0.1",
            "port": slurm_cluster.sshd.port,
            "user": slurm_cluster.user,
            "key": str(slurm_cluster.sshd.client_key),
            "node_port": node_sshd.port,
            "poll_interval": 0.3,
        }
        settings = Settings(
            state_dir=state,
            providers=(ProviderConfig("hpc", "slurm", options),),
            poll_interval=0.5,
            config_path=state / "config.toml",
        )
        slurm_cluster.sshd.write_known_hosts(settings.known_hosts_path)
        node_sshd.write_known_hosts(settings.known_hosts_path)
        job_id = slurm_cluster.sbatch("--job-name=srun-app", "--time=5", "--wrap", "sleep 120")
        pending = slurm_cluster.sbatch("--begin=now+3600", "--job-name=later", "--wrap", "true")
        app = make_app(settings, clock=SystemClock())
        async with app.run_test(size=(120, 36)) as pilot:
            screen = app.main_screen
            jobs = screen.query_one(JobTable)
            await wait_until(
                lambda: {f"hpc:{job_id}", f"hpc:{pending}"} <= set(jobs.row_keys),
                pause=pilot.pause,
                within=30,
                what="both jobs listed",
            )
            # Enter on the pending job: no allocation yet, nothing is tried.
            jobs.focus()
            jobs.select_key(f"hpc:{pending}")
            await wait_until(
                lambda: screen.selected is not None and screen.selected.id == pending,
                pause=pilot.pause,
                what="pending job selected",
            )
            notes: list[str] = []
            app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
            await pilot.press("enter")
            await wait_until(lambda: bool(notes), pause=pilot.pause, what="a notification")
            assert "later has no allocation yet (pending: BeginTime)" in notes[0]
            assert not app.terminals.views
            # Enter on the running job's node: ssh is refused, srun --overlap opens the shell.
            jobs.select_key(f"hpc:{job_id}")
            nodes = screen.query_one(NodeTable)
            await wait_until(
                lambda: (
                    screen.selected is not None
                    and screen.selected.id == job_id
                    and screen.selected.state.value == "running"
                    and len(nodes.row_keys) == 1
                ),
                pause=pilot.pause,
                within=30,
                what="the running job's node",
            )
            nodes.focus()
            await pilot.press("enter")
            await wait_until(
                lambda: bool(app.terminals.views) and app.terminals.views[0].running,
                pause=pilot.pause,
                within=30,
                what="the shell",
            )
            view = app.terminals.views[0]
            route = app.terminals.route_of(view)
            assert route is not None and route.startswith("srun --overlap (ssh to node refused")
            tabs = app.terminals.query_one("#terminal-tabs")
            label = str(tabs.get_tab("shell-1").label)  # type: ignore[attr-defined]
            assert "srun --overlap (ssh to node" in label
            hint = str(app.terminals.query_one("#terminal-hint").render())
            assert hint.startswith(route)
            await run_line(view, pilot, "export PS1='$ '; echo JOB-$SLURM_JOB_ID", f"JOB-{job_id}")
            rows, cols = view.content_size.height, view.content_size.width
            await run_line(view, pilot, "clear; stty size", f"{rows} {cols}")
            await pilot.resize_terminal(100, 30)
            await wait_until(
                lambda: view.content_size.width == 100, pause=pilot.pause, what="view resized"
            )
            rows, cols = view.content_size.height, view.content_size.width
            assert (rows, cols) != (36, 120)
            await run_line(view, pilot, "clear; stty size", f"{rows} {cols}")


async def test_srun_refused_says_why_in_the_tab_and_a_notification(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    """Someone else's job (listed with `all_users`): ssh and srun are both refused, and say so."""
    assert slurm_cluster.sshd is not None
    state = tmp_path / "state"
    state.mkdir()
    job_id = slurm_cluster.sbatch_as_root("--job-name=theirs", "--time=5", "--wrap", "sleep 120")
    try:
        with refusing_node_sshd(slurm_cluster, tmp_path / "node-sshd") as node_sshd:
            options = {
                "host": "127.0.0.1",
                "port": slurm_cluster.sshd.port,
                "user": slurm_cluster.user,
                "key": str(slurm_cluster.sshd.client_key),
                "node_port": node_sshd.port,
                "poll_interval": 0.3,
                "all_users": True,
            }
            settings = Settings(
                state_dir=state,
                providers=(ProviderConfig("hpc", "slurm", options),),
                poll_interval=0.5,
                config_path=state / "config.toml",
            )
            slurm_cluster.sshd.write_known_hosts(settings.known_hosts_path)
            node_sshd.write_known_hosts(settings.known_hosts_path)
            app = make_app(settings, clock=SystemClock())
            async with app.run_test(size=(120, 36)) as pilot:
                screen = app.main_screen
                jobs = screen.query_one(JobTable)
                await wait_until(
                    lambda: f"hpc:{job_id}" in jobs.row_keys,
                    pause=pilot.pause,
                    within=30,
                    what="root's job listed",
                )
                jobs.focus()
                jobs.select_key(f"hpc:{job_id}")
                nodes = screen.query_one(NodeTable)
                await wait_until(
                    lambda: (
                        screen.selected is not None
                        and screen.selected.id == job_id
                        and screen.selected.state.value == "running"
                        and len(nodes.row_keys) == 1
                    ),
                    pause=pilot.pause,
                    within=30,
                    what="the job's node",
                )
                nodes.focus()
                await pilot.press("enter")
                await wait_until(
                    lambda: bool(app.terminals.views) and app.terminals.views[0].state == "exited",
                    pause=pilot.pause,
                    within=30,
                    what="the shell's start to fail",
                )
                view = app.terminals.views[0]
                status = view.status_text or ""
                said = f"srun: error: Unable to create step for job {job_id}: Access/permission"
                assert re.search(
                    r"No way onto node\d+ by ssh or srun: ssh to node refused: ", status
                )
                assert f"; srun --overlap refused: {said} denied." in status
                assert f"check that job {job_id} is yours" in status
                assert status.endswith("— press r to retry]")
                tab = app.terminals.query_one("#terminal-tabs").get_tab("shell-1")  # type: ignore[attr-defined]
                assert "(failed: ssh to node refused" in str(tab.label)
                failed = [n for n in app._notifications if n.title.startswith("Shell on ")]
                assert len(failed) == 1 and failed[0].severity == "error"
                assert failed[0].title.endswith(" failed")
                assert f"srun --overlap refused: {said} denied." in failed[0].message
                assert app.terminals.route_of(view) is None
    finally:
        slurm_cluster.scancel_as_root(job_id)
