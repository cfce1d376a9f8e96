"""The app asks a provider's capabilities: a missing shell or log is explained, never failed."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui.app.factory
from tests.conftest import wait_until
from tui.app.factory import make_app
from tui.core.clock import ManualClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.models import JobState
from tui.core.providers.base import Capability, Provider, provider_class
from tui.core.providers.demo.provider import DemoProvider
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable


class JobsOnly(DemoProvider):
    """The demo cluster behind a provider that lists jobs but offers no shells and no logs."""

    capabilities = frozenset({Capability.JOBS})


def lookup(kind: str) -> type[Provider]:
    return JobsOnly if kind == "jobs-only" else provider_class(kind)


async def test_no_shell_and_no_logs_are_said_for_that_member_only(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui.app.factory, "provider_class", lookup)
    settings = Settings(
        state_dir=tmp_path / "state",
        config_path=tmp_path / "c.toml",
        poll_interval=3600,
        providers=(
            ProviderConfig("lab", "demo", {"seed": 2}),
            ProviderConfig("plain", "jobs-only", {"seed": 3}),
        ),
    )
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        jobs, log, nodes = (
            screen.query_one(JobTable),
            screen.query_one(LogView),
            screen.query_one(NodeTable),
        )

        def running(provider: str) -> str | None:
            keys = [k for k, j in screen.jobs.items() if j.provider == provider]
            return next((k for k in keys if screen.jobs[k].state is JobState.RUNNING), None)

        await wait_until(lambda: running("plain") and running("lab"), pause=pilot.pause, within=20)
        plain, lab = running("plain"), running("lab")
        assert plain is not None and lab is not None
        jobs.select_key(lab)
        await wait_until(lambda: log.line_count > 10, pause=pilot.pause, what="lab's live log")
        jobs.select_key(plain)
        await wait_until(
            lambda: log.tail(2) == ["no logs for this provider"],
            pause=pilot.pause,
            what="the no-logs note instead of lab's log",
        )
        assert not screen.query_one("#log-pane").has_class("-error")
        await wait_until(lambda: len(nodes.row_keys) == 4, pause=pilot.pause, what="plain's nodes")
        nodes.focus()
        await pilot.press("enter")
        note = "The plain provider offers no shell on its nodes."
        await wait_until(
            lambda: any(n.message == note for n in app._notifications),
            pause=pilot.pause,
            what="the no-shell notification",
        )
        assert app.terminals.views == [] and app.screen is screen
