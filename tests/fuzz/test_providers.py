"""Fuzz provider JSON: Slurm `squeue`/`sinfo --json` and Rescale jobs, statuses, instances.

Properties, for the real shapes with any field missing, null, of the wrong type, huge, unicode
or full of control characters, and for answers that are not that JSON at all:
- parsing returns models or raises the project's `ProviderError`, never another exception;
- every text of a model is a `str`, and the rows made of them render in the real `JobTable`
  and `NodeTable` (mounted in a headless app, screenshot taken) without an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.fuzz.budget import fuzz
from tests.fuzz.json_shapes import (
    CONTROLLER_DOWN,
    LOG_LINES,
    RESCALE_DETAIL,
    RESCALE_INSTANCES,
    RESCALE_ITEM,
    RESCALE_STATUS,
    SINFO,
    SQUEUE,
    dumps,
    mutated,
    raw_documents,
    values,
)
from tests.fuzz.pipelines import NodesByJob, rescale_models, rows, slurm_models
from tui.core.errors import ProviderError
from tui.core.models import Job
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable

squeue_answers = st.one_of(
    st.sampled_from(SQUEUE).flatmap(mutated).map(dumps),
    st.sampled_from(CONTROLLER_DOWN).flatmap(mutated).map(dumps),
    raw_documents,
)
sinfo_answers = st.one_of(st.sampled_from(SINFO).flatmap(mutated).map(dumps), raw_documents)
rescale_answers = st.tuples(
    mutated([RESCALE_ITEM, {**RESCALE_ITEM, "id": "XyZ12"}]) | values,
    mutated(RESCALE_STATUS) | values,
    mutated(RESCALE_INSTANCES) | values,
    mutated(RESCALE_DETAIL) | values,
    st.lists(st.sampled_from(LOG_LINES) | st.text(max_size=40), max_size=4),
)


def slurm_or_none(squeue: str, sinfo: str) -> tuple[list[Job], NodesByJob] | None:
    try:
        return slurm_models(squeue, sinfo)
    except ProviderError:
        return None


@fuzz(ci=300)
@given(squeue=squeue_answers, sinfo=sinfo_answers)
def test_slurm_answers_give_models_or_a_provider_error(squeue: str, sinfo: str) -> None:
    slurm_or_none(squeue, sinfo)


@fuzz(ci=300)
@given(answers=rescale_answers)
def test_rescale_answers_give_models(answers: tuple[object, ...]) -> None:
    items, history, instances, detail, lines = answers
    assert isinstance(lines, list)
    try:
        rescale_models(items, history, instances, detail, lines)
    except ProviderError:
        pass


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield JobTable(show_group=True)
        yield NodeTable()


@pytest.fixture
async def tables() -> AsyncIterator[Pilot[None]]:
    """One headless app for every example of a test (starting one per example is slow)."""
    app = Tables()
    async with app.run_test(size=(120, 30)) as pilot:
        yield pilot


async def show(pilot: Pilot[None], jobs: list[Job], nodes: NodesByJob) -> None:
    """Show the rows in fresh tables (an example must not see the last one's), screenshot."""
    app = pilot.app
    await app.query("KeyedTable").remove()
    job_table, node_table = JobTable(show_group=True), NodeTable()
    await app.mount_all([job_table, node_table])
    job_rows, node_groups = rows(jobs, nodes)
    job_table.update_jobs(job_rows)
    job_table.update_jobs(job_rows[::-1])  # the same rows again, in another order
    for group in node_groups[:2] or [[]]:
        node_table.update_nodes(group)
        await pilot.pause()
        app.export_screenshot()
    assert app.return_code is None  # still running: nothing raised in a handler


@fuzz(ci=40)
@given(squeue=squeue_answers, sinfo=sinfo_answers)
async def test_slurm_models_render_in_the_tables(
    tables: Pilot[None], squeue: str, sinfo: str
) -> None:
    models = slurm_or_none(squeue, sinfo)
    if models is not None:
        await show(tables, *models)


@fuzz(ci=40)
@given(answers=rescale_answers)
async def test_rescale_models_render_in_the_tables(
    tables: Pilot[None], answers: tuple[object, ...]
) -> None:
    items, history, instances, detail, lines = answers
    assert isinstance(lines, list)
    await show(tables, *rescale_models(items, history, instances, detail, lines))
