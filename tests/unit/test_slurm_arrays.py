"""Array jobs: 10,000 tasks are one row (expandable, paged), a pending range counts its tasks."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.unit.slurm_text import polled
from tui.app.screens.dashboard.arrays import ArrayRows
from tui.app.screens.rows import TASK_PAGE
from tui.core.arrays import group_arrays
from tui.core.models import JobState
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.sacct import parse_sacct
from tui.core.providers.slurm.usage import usage_of
from tui.core.providers.slurm.view import sort_key, task_count, to_job

DATA = Path(__file__).parent.parent / "data" / "slurm"
NOW = datetime(2026, 12, 8, tzinfo=UTC)
TASKS = 10_000


def ten_thousand_tasks() -> str:
    """sacct --json with 10,000 finished tasks of array 3, cloned from a real 22.05 task."""
    doc = json.loads((DATA / "sacct-22.05.json").read_text())
    model = next(j for j in doc["jobs"] if j["array"]["job_id"] == 3)
    model.update(job_id=-1111, state={"current": "@STATE@", "reason": "None"})
    for step in model["steps"]:  # what the parser reads of a step (the rest only costs time)
        step["tres"] = {"requested": {"max": step["tres"]["requested"]["max"]}}
    model["array"]["task_id"] = -2222
    template = json.dumps(model)
    tasks = [
        template.replace("-1111", str(100 + index))
        .replace("-2222", str(index))
        .replace("@STATE@", "FAILED" if index % 1000 == 0 else "COMPLETED")
        for index in range(1, TASKS + 1)
    ]
    doc["jobs"] = []
    head = json.dumps(doc).removesuffix("[]}")
    return head + "[" + ",".join(tasks) + "]}"


def test_ten_thousand_tasks_are_one_row_until_expanded() -> None:
    raw = ten_thousand_tasks()
    began = time.process_time()
    reply = parse_sacct(raw)
    jobs = sorted((to_job(e.job, "hpc", NOW, usage_of(e.usage)) for e in reply.jobs), key=sort_key)
    arrays = ArrayRows()
    rows = arrays.rows(jobs, NOW)
    took = time.process_time() - began
    assert len(rows) == 1, "an array of 10,000 tasks is one row"
    [group] = arrays.groups.values()
    assert group.total == TASKS and group.state is JobState.FAILED
    assert rows[0].detail == "10 failed · 9,990 completed"
    assert rows[0].name == "▸ arr [3] 10,000 tasks"
    assert took < 10, f"parsing and grouping 10,000 tasks took {took:.1f} s of CPU"

    assert arrays.toggle(group.key) == group.key  # space on the group: open it, one page
    rows = arrays.rows(jobs, NOW)
    assert len(rows) == 1 + TASK_PAGE + 1
    assert rows[0].name.startswith("▾ ")
    assert [r.name for r in rows[1:11]] == [f"├ 3_{i * 1000}" for i in range(1, 11)]  # failed first
    assert rows[11].name == "├ 3_1"
    assert rows[-1].name == f"└ … {TASKS - TASK_PAGE:,} more tasks"
    assert arrays.job_for(rows[-1].key) is None  # the `more` row is no job

    assert arrays.toggle(rows[-1].key) == rows[-1].key  # space on `more`: one more page
    assert len(arrays.rows(jobs, NOW)) == 1 + 2 * TASK_PAGE + 1
    task_key = rows[5].key
    assert arrays.job_for(task_key) == task_key
    assert arrays.toggle(task_key) == group.key  # space on a task: close, back to the group
    assert len(arrays.rows(jobs, NOW)) == 1
    assert arrays.job_for(group.key) == group.tasks[0].key
    assert arrays.count == 1  # the jobs pane's title counts the array once
    later = group.tasks[500]
    assert arrays.job_for(group.key, later) == later.key  # the shown task stays shown


def test_a_pending_range_stands_for_its_tasks_and_tasks_resolve_their_log() -> None:
    doc = json.loads((DATA / "squeue-22.05.json").read_text())
    parent = copy.deepcopy(next(j for j in doc["jobs"] if j["name"] == "sweep"))
    parent.update(job_id=6, array_task_id=None, array_task_string="3-10000%50", job_state="PENDING")
    parent["standard_output"] = "/home/slurmtest/out/%x-%A_%a.log"
    doc["jobs"].append(parent)
    _, listed = polled(json.dumps(doc))
    jobs = sorted((to_job(r, "hpc", NOW) for r in listed), key=sort_key)
    groups = [item for item in group_arrays(jobs) if not hasattr(item, "id")]
    [sweep] = groups
    assert sweep.total == 2 + 9998  # two started tasks and the pending 3-10000
    pending = next(t for t in sweep.tasks if t.task_count > 1)
    assert (pending.array_task, pending.state) == ("3-10000%50", JobState.QUEUED)
    rows = ArrayRows().rows(jobs, NOW)
    assert len(rows) < 20
    task = next(r for r in listed if r.array_task_id == 2)
    assert output_path(task).endswith(f"-{task.array_job_id}_2.out") or "%" not in output_path(task)
    patterned = next(r for r in listed if r.array_tasks == "3-10000%50")
    assert output_path(patterned) == "/home/slurmtest/out/sweep-6_4294967294.log"


def test_task_count() -> None:
    assert task_count("1-10000") == 10000
    assert task_count("3-6%2") == 4
    assert task_count("1,5-9:2,20") == 5
    assert task_count("junk") == 1
    assert task_count("1-99999999999") == 10_000_000  # bounded


def test_squeue_24_05_shapes_nodes_object_unlimited_and_a_pending_array() -> None:
    version, listed = polled((DATA / "squeue-24.05.json").read_text())
    assert version == "24.05.3"
    jobs = {job.job_id: job for job in listed}
    run = jobs["101"]
    assert run.nodes == ("cn001", "cn002", "cn010")  # `nodes` as an object
    assert run.job_state is JobState.RUNNING and run.time_limit is None  # infinite: UNLIMITED
    big = jobs["120"]
    assert (big.array_job_id, big.array_task_id, big.array_tasks) == (120, None, "1-10000%20")
    models = sorted((to_job(r, "hpc", NOW) for r in listed), key=sort_key)
    rows = ArrayRows().rows(models, NOW)
    group = next(row for row in rows if row.key == "hpc:array:120")
    assert group.name == "▸ big-sweep [120] 10,000 tasks" and group.detail == "10,000 pending"
    assert output_path(big) == "/home/alice/run/big-120_4294967294.out"
