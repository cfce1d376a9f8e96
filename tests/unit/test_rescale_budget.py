"""Rescale's documented request budget: a token bucket on the API client."""

from __future__ import annotations

import asyncio

import pytest

from tui.core.clock import ManualClock
from tui.core.providers.rescale.limits import RequestBudget


async def test_the_rescale_budget_waits_once_the_burst_is_spent() -> None:
    clock = ManualClock()
    budget = RequestBudget(clock, per_hour=3600, burst=3)  # one a second after three at once
    for _ in range(3):
        await budget.take()
    assert budget.waited == 0
    clock.advance(0.5)
    waiting = asyncio.create_task(budget.take())
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(0.5)
    await asyncio.wait_for(waiting, 5)
    assert budget.waited == pytest.approx(0.5)


def test_the_default_budget_is_85_percent_of_v2_job_queries() -> None:
    budget = RequestBudget(ManualClock())
    assert budget._rate * 3600 == pytest.approx(90_000 * 0.85)
