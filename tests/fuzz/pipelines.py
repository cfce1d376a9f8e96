"""Provider JSON to models to table rows, as the providers and the dashboard do it (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tests.unit.slurm_text import polled
from tui.app.screens.rows import job_row, node_row
from tui.core.errors import ProviderError
from tui.core.models import Job, Node
from tui.core.providers.rescale.jobs import (
    build_job,
    build_nodes,
    job_details,
    job_state,
    listed_status,
    newest_first,
    node_from_log,
    status_key,
)
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import parse_sinfo
from tui.core.providers.slurm.view import (
    describe,
    format_left,
    sort_key,
    time_left,
    to_job,
    to_node,
)
from widgets.tables.job import JobRow
from widgets.tables.node import NodeRow

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def check_strings(model: Job | Node) -> None:
    """Every text field of a model is a `str` (what the tables and messages expect)."""
    for name in ("id", "name", "provider", "owner", "status_detail", "job_id", "role", "host"):
        value = getattr(model, name, "")
        assert isinstance(value, str), (name, value)
    if isinstance(model, Node):
        assert isinstance(model.port, int) and not isinstance(model.port, bool)
        assert model.user is None or isinstance(model.user, str)


NodesByJob = dict[str, list[Node]]


def check_all(jobs: Sequence[Job], nodes: NodesByJob) -> None:
    models: list[Job | Node] = [*jobs, *(node for group in nodes.values() for node in group)]
    for model in models:
        check_strings(model)


def slurm_models(squeue: str, sinfo: str) -> tuple[list[Job], NodesByJob]:
    """What the Slurm provider makes of two answers (squeue's `--json` document read in the text
    form the provider polls); raises only `ProviderError`."""
    _, listed = polled(squeue)
    records = {job.job_id: job for job in listed}
    jobs = sorted((to_job(r, "slurm", NOW) for r in records.values()), key=sort_key)
    nodes: NodesByJob = {}
    try:
        known = {node.name: node for node in parse_sinfo(sinfo).nodes}
    except ProviderError:
        known = {}
    for record in records.values():
        describe(record, NOW)
        left = time_left(record, NOW)
        if left is not None:
            format_left(left)
        output_path(record)
        output_path(record, stderr=True)
        names = sorted(record.nodes, key=lambda n: n != record.batch_host)
        nodes[record.job_id] = [
            to_node(record, name, known.get(name), port=22, user="alice") for name in names
        ]
    check_all(jobs, nodes)
    return jobs, nodes


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    """What `RescaleApi.get_all` keeps of a page: its objects."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def rescale_models(
    items: Any, history: Any, instances: Any, detail: Any, lines: Sequence[str]
) -> tuple[list[Job], NodesByJob]:
    """What the Rescale provider makes of its answers (list, statuses, instances, details)."""
    listed = [item for item in _dicts(items) if item.get("id")]
    entries = newest_first(_dicts(history))
    jobs = []
    for item in listed:
        text = listed_status(item)
        job_state(text)
        current = (
            entries
            if entries and status_key(entries[0].get("status")) == status_key(text)
            else None
        )
        jobs.append(build_job(item, current, provider="rescale", node_count=3))
    nodes: NodesByJob = {}
    for job in jobs:
        nodes[job.id] = build_nodes(job, _dicts(instances))
        found = node_from_log(job, lines)
        if found is not None:
            check_strings(found)
        if isinstance(detail, dict):
            for label, value in job_details(detail, job).items():
                assert isinstance(label, str) and isinstance(value, str)
    check_all(jobs, nodes)
    return jobs, nodes


def rows(jobs: Sequence[Job], nodes: NodesByJob) -> tuple[list[JobRow], list[list[NodeRow]]]:
    """The dashboard's rows for the models: the jobs, and the nodes of each job."""
    return [job_row(job, NOW) for job in jobs], [
        [node_row(node) for node in group] for group in nodes.values()
    ]
