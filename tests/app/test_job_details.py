"""`i` shows a job's times in local time with their age on the app's clock, not raw timestamps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.apphelpers import Running
from tests.conftest import wait_until
from tui.app.screens.dialogs.confirm import DetailsDialog
from tui.app.screens.rows import local_time_and_age
from tui.core.clock import ManualClock
from widgets.tables.job import JobTable


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Berlin (UTC+1 in December)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_time_and_age(berlin: None) -> None:
    moment = datetime(2026, 12, 7, 22, 51, 49, 329392, tzinfo=UTC)
    assert local_time_and_age(moment, moment + timedelta(minutes=12, seconds=5)) == (
        "2026-12-07 23:51 (12 min ago)"
    )
    assert local_time_and_age(moment, moment + timedelta(seconds=7)) == "2026-12-07 23:51 (7 s ago)"
    assert local_time_and_age(moment, moment + timedelta(hours=3, minutes=4)) == (
        "2026-12-07 23:51 (3 h 4 min ago)"
    )
    assert local_time_and_age(moment, moment + timedelta(days=2, hours=1)) == (
        "2026-12-07 23:51 (2 days ago)"
    )
    assert local_time_and_age(moment, moment - timedelta(minutes=5)) == (
        "2026-12-07 23:51 (in 5 min)"
    )


async def test_details_show_local_times_and_ages_on_the_apps_clock(
    running_app: Running, clock: ManualClock, berlin: None
) -> None:
    app, pilot = running_app
    job = app.main_screen.selected
    assert job is not None and job.submitted is not None and job.started is not None
    clock.advance(12 * 60)  # the age is measured on the app's clock, not the wall clock
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("i")
    await wait_until(
        lambda: isinstance(app.screen, DetailsDialog), pause=pilot.pause, what="job details"
    )
    assert isinstance(app.screen, DetailsDialog)
    facts = app.screen.facts
    for label, moment in (("Submitted", job.submitted), ("Started", job.started)):
        minutes = int((clock.now() - moment).total_seconds()) // 60
        local = moment.astimezone().strftime("%Y-%m-%d %H:%M")
        assert facts[label] == f"{local} ({minutes} min ago)", facts
        assert minutes >= 12
    assert not any("+00:00" in value for value in facts.values())
