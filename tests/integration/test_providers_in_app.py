"""The whole app on the real providers: Slurm (real slurmctld) and Rescale (its API on loopback)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import wait_until
from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import slurm_cluster_fixture  # noqa: F401 - fixture
from tests.integration.sshd import SshdServer
from tests.snapshots.conftest import Snap
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.app.screens.dialogs.confirm import ConfirmDialog, DetailsDialog
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.providers.rescale.credentials import ENV_VAR
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable

pytestmark = pytest.mark.sshd


def settings_for(state: Path, provider: ProviderConfig) -> Settings:
    state.mkdir(parents=True, exist_ok=True)
    # plain shells: tmux ones would outlive the test (tests/integration/test_persistent_*.py)
    provider = dataclasses.replace(provider, persistent="off")
    return Settings(
        state_dir=state, providers=(provider,), poll_interval=0.5, config_path=state / "config.toml"
    )


async def echo_in_a_shell(
    app: ClusterdeckApp, pilot: Pilot[None], nodes: NodeTable, word: str
) -> None:
    """Enter on the highlighted node opens a shell that runs `echo {word}-$((6*7))`."""
    nodes.focus()
    await pilot.press("enter")
    await wait_until(
        lambda: bool(app.terminals.views) and app.terminals.views[0].running,
        pause=pilot.pause,
        within=20,
        what=f"a shell for {word}",
    )
    view = app.terminals.views[0]
    view.send(f"echo {word}-$((6*7))\r".encode())
    await wait_until(
        lambda: any(f"{word}-42" in row for row in view.screen_text()),
        pause=pilot.pause,
        within=15,
        what="shell output",
    )


async def test_dashboard_on_slurm(
    slurm_cluster: SlurmCluster, tmp_path: Path, save_screenshot: Snap
) -> None:
    assert slurm_cluster.sshd is not None
    job_id = slurm_cluster.sbatch(
        "-N2",
        "--time=30",
        "--job-name=app-ticker",
        "--wrap",
        'for i in $(seq 1 200); do echo "tick $i"; sleep 0.2; done',
    )
    state = tmp_path / "state"
    settings = settings_for(
        state,
        ProviderConfig(
            "hpc",
            "slurm",
            {
                "host": "127.0.0.1",
                "port": slurm_cluster.sshd.port,
                "user": slurm_cluster.user,
                "key": str(slurm_cluster.sshd.client_key),
                "node_port": slurm_cluster.sshd.port,
                "poll_interval": 0.3,
            },
        ),
    )
    slurm_cluster.sshd.write_known_hosts(settings.known_hosts_path)
    app = make_app(settings, clock=SystemClock())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        jobs = screen.query_one(JobTable)
        await wait_until(
            lambda: f"hpc:{job_id}" in jobs.row_keys,
            pause=pilot.pause,
            within=30,
            what="the job listed",
        )
        jobs.focus()
        screen.query_one(JobTable).select_key(f"hpc:{job_id}")
        await wait_until(
            lambda: (
                screen.selected is not None
                and screen.selected.id == job_id
                and screen.selected.state.value == "running"
            ),
            pause=pilot.pause,
            within=30,
            what="the job running",
        )
        nodes = screen.query_one(NodeTable)
        await wait_until(
            lambda: len(nodes.row_keys) == 2, pause=pilot.pause, within=15, what="two nodes"
        )
        log = screen.query_one(LogView)
        await wait_until(
            lambda: log.line_count >= 5, pause=pilot.pause, within=30, what="live log lines"
        )
        lines = log.tail(log.line_count)
        numbers = [int(line.split()[1]) for line in lines if line.startswith("tick ")]
        assert numbers == list(range(1, len(numbers) + 1))  # in order, none doubled
        save_screenshot(app, "main-slurm")
        # A shell on a compute node, through the login host.
        await echo_in_a_shell(app, pilot, nodes, "on-node")
        await pilot.press("ctrl+right_square_bracket")
        await wait_until(lambda: app.screen is screen, pause=pilot.pause, what="dashboard")
        # Cancel after a confirm.
        jobs.focus()
        await pilot.press("s")
        await wait_until(
            lambda: isinstance(app.screen, ConfirmDialog), pause=pilot.pause, what="confirm"
        )
        dialog = app.screen
        box = dialog.query_one(".dialog-box")
        assert box.border_subtitle == "y: stop job · enter or esc: cancel"  # says which key stops
        assert dialog.focused is not None and dialog.focused.id == "cancel"  # enter cancels
        await pilot.press("y")
        await wait_until(
            lambda: (
                slurm_cluster.job(job_id) is None
                or (slurm_cluster.job(job_id) or {}).get("job_state") == "CANCELLED"
            ),
            pause=pilot.pause,
            within=30,
            what="scancel",
        )


@pytest.fixture
def fake(sshd: SshdServer) -> Iterator[FakeRescale]:
    with running_fake() as server:
        node = {
            "publicIp": "127.0.0.1",
            "username": sshd.user,
            "sshPort": sshd.port,
            "role": "MPI_MASTER",
            "clusterId": "c1",
        }
        server.add_job(
            "cfd-wing",
            instances=[node, {**node, "role": "MPI_SLAVE"}],
            ssh_port=sshd.port,
            log=[f"iteration {i} residual 1e-{i % 7}" for i in range(40)],
        )
        server.add_job("mesh-prep", status="Completed", log=["meshing", "done"])
        yield server


async def test_dashboard_on_rescale(
    fake: FakeRescale,
    sshd: SshdServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    save_screenshot: Snap,
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    state = tmp_path / "state"
    settings = settings_for(
        state,
        ProviderConfig(
            "rescale",
            "rescale",
            {
                "base_url": fake.base_url,
                "ssh_key": str(sshd.client_key),
                "poll_interval": 0.0,
                "tail_interval": 1.0,
            },
        ),
    )
    sshd.write_known_hosts(settings.known_hosts_path)
    app = make_app(settings, clock=SystemClock())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        jobs = screen.query_one(JobTable)
        await wait_until(
            lambda: len(jobs.row_keys) == 2, pause=pilot.pause, within=20, what="two jobs"
        )
        assert screen.selected is not None and screen.selected.name == "cfd-wing"
        log = screen.query_one(LogView)
        await wait_until(
            lambda: log.line_count >= 40, pause=pilot.pause, within=20, what="the tail"
        )
        assert log.tail(1) == ["iteration 39 residual 1e-4"]
        nodes = screen.query_one(NodeTable)
        await wait_until(lambda: len(nodes.row_keys) == 2, pause=pilot.pause, what="nodes")
        save_screenshot(app, "main-rescale")
        await pilot.press("i")
        await wait_until(
            lambda: isinstance(app.screen, DetailsDialog), pause=pilot.pause, what="job details"
        )
        await pilot.press("escape")
        await echo_in_a_shell(app, pilot, nodes, "rescale")
        assert API_KEY not in app.export_screenshot()
        # A completed job's stored output opens too.
        await pilot.press("ctrl+right_square_bracket")
        await wait_until(lambda: app.screen is screen, pause=pilot.pause, what="dashboard")
        done = next(key for key in jobs.row_keys if screen.jobs[key].name == "mesh-prep")
        jobs.focus()
        jobs.select_key(done)
        await wait_until(
            lambda: log.tail(2) == ["meshing", "done"], pause=pilot.pause, within=20, what="output"
        )
        pane = screen.query_one("#log-pane")
        await wait_until(
            lambda: "mesh-prep (complete)" in str(pane.border_title), pause=pilot.pause, what="end"
        )
