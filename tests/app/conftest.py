"""Fixtures for whole-app tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot

from tests.apphelpers import AppFactory, settle_dashboard
from tui.app.app import ClusterdeckApp


@pytest.fixture
async def running_app(app_factory: AppFactory) -> AsyncIterator[tuple[ClusterdeckApp, Pilot[None]]]:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        yield app, pilot
