"""Several providers in one dashboard: jobs grouped by provider, a failing one marked alone."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import wait_until
from tui.app.factory import make_app
from tui.core.clock import ManualClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_failing_provider_marks_its_own_group(tmp_path: Path, clock: ManualClock) -> None:
    state = tmp_path / "state"
    settings = Settings(
        state_dir=state,
        config_path=tmp_path / "config.toml",
        poll_interval=3600,
        providers=(
            ProviderConfig("lab", "demo", {"seed": 2}),
            ProviderConfig("uni", "slurm", {"host": "127.0.0.1", "port": closed_port()}),
        ),
    )
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        jobs = screen.query_one(JobTable)
        await wait_until(
            lambda: "uni:!problem" in jobs.row_keys,
            pause=pilot.pause,
            within=20,
            what="the failing provider's row",
        )
        assert any(key.startswith("lab:") for key in jobs.row_keys)
        assert str(jobs.get_cell("uni:!problem", "group")) == "uni"
        assert "connection refused" in str(jobs.get_cell("uni:!problem", "detail"))
        assert {str(jobs.get_cell(k, "group")) for k in jobs.row_keys} == {"lab", "uni"}
        # The working provider still browses: nodes and the live log of its running job.
        await wait_until(
            lambda: len(screen.query_one(NodeTable).row_keys) == 4,
            pause=pilot.pause,
            what="lab's nodes",
        )
        await wait_until(
            lambda: screen.query_one(LogView).line_count > 10, pause=pilot.pause, what="lab's log"
        )
        assert screen.selected is not None and screen.selected.provider == "lab"
        assert any("uni" in n.title for n in app._notifications)


async def test_provider_flag_shows_just_one(tmp_path: Path, clock: ManualClock) -> None:
    settings = Settings(
        state_dir=tmp_path / "state",
        config_path=tmp_path / "c.toml",
        poll_interval=3600,
        providers=(ProviderConfig("a", "demo", {}), ProviderConfig("b", "demo", {"seed": 5})),
    )
    app = make_app(settings, clock=clock, only="b")
    assert app.provider.name == "demo"
    assert not hasattr(app.provider, "members")
