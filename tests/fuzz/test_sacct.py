"""Fuzz `sacct --json` (22.05 recorded, 24.05 shape) and `sstat` text: models or a provider error.

For any field missing, null, of the wrong type, huge or full of control characters: parsing
returns jobs or raises `ProviderError`; their efficiency, details, log paths and the jobs
pane's rows (arrays grouped, opened) are made without another exception, as strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import fuzz
from tests.fuzz.json_shapes import dumps, mutated, raw_documents
from tests.fuzz.pipelines import NOW, check_strings
from tui.app.screens.dashboard.arrays import ArrayRows
from tui.core.errors import ProviderError
from tui.core.providers.slurm.live import parse_sstat
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.sacct import parse_sacct
from tui.core.providers.slurm.usage import usage_facts, usage_of
from tui.core.providers.slurm.view import sort_key, to_job

DATA = Path(__file__).parent.parent / "data" / "slurm"
KEYS = ("job_id", "name", "user", "state", "array", "time", "exit_code", "nodes", "tres")
STEP_KEYS = ("state", "time", "tres", "tasks")


def _sample(name: str) -> dict[str, Any]:
    """Two jobs of a recorded or shaped reply, with the keys the parser reads."""
    doc = json.loads((DATA / name).read_text())
    jobs = []
    for job in doc["jobs"][:2]:
        small = {k: job[k] for k in (*KEYS, "working_directory", "stdout") if k in job}
        small["steps"] = [{k: s[k] for k in STEP_KEYS if k in s} for s in job["steps"][:1]]
        jobs.append(small)
    return {"meta": doc["meta"], "errors": [], "jobs": jobs}


SACCT = [_sample("sacct-22.05.json"), _sample("sacct-24.05.json")]
answers = st.one_of(st.sampled_from(SACCT).flatmap(mutated).map(dumps), raw_documents)


@fuzz(ci=100)
@given(raw=answers)
def test_sacct_answers_give_models_or_a_provider_error(raw: str) -> None:
    try:
        reply = parse_sacct(raw)
    except ProviderError:
        return
    jobs = []
    for entry in reply.jobs:
        usage = usage_of(entry.usage)
        for value in usage_facts(entry.usage, usage).values():
            assert isinstance(value, str)
        output_path(entry.job)
        output_path(entry.job, stderr=True)
        jobs.append(to_job(entry.job, "hpc", NOW, usage))
    for job in jobs:
        check_strings(job)
    arrays = ArrayRows()
    rows = arrays.rows(sorted(jobs, key=sort_key), NOW)
    for key in list(arrays.groups):
        arrays.toggle(key)
    assert len(arrays.rows(jobs, NOW)) >= len(rows)


@fuzz(ci=100)
@given(raw=st.text(alphabet="0123456789.|:=-,_ KMGcpumemtbash\n", max_size=200))
def test_sstat_text_never_raises(raw: str) -> None:
    for sampled in parse_sstat(raw).values():
        assert sampled.cpu >= 0 and sampled.tasks >= 1
