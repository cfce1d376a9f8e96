"""Fuzz squeue's text form: any value in any field (separators, newlines, escapes, huge numbers).

Properties: records whose values do not hold this poll's token parse to exactly those jobs,
every untrusted text field read back unchanged, and the jobs make rows and log paths without
an exception; any other answer gives jobs or the project's `ProviderError`, never another one.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import fuzz
from tests.fuzz.pipelines import NOW, check_strings
from tui.core.errors import ProviderError
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.squeue_text import FIELDS, TextQuery
from tui.core.providers.slurm.view import to_job

QUERY = TextQuery(field_sep="\x1ftok\x1f", record_end="\x1etok\x1e")
NASTY = "\x1f\x1e\n\r\t\x1b\x07|,:%[]-_ 0123456789NA/"
value = st.text(alphabet=st.sampled_from(NASTY) | st.characters(), max_size=30).filter(
    lambda v: "tok" not in v
)
numberish = st.sampled_from(
    ["", "N/A", "NONE", "0", "7", "-1", "99999999999999999999", "3:0", "²", "٣"]
)
record = st.fixed_dictionaries(
    {f: numberish if f in {"JobID", "ArrayJobID", "NumNodes", "NumCPUs"} else value for f in FIELDS}
)


def printed(records: list[dict[str, str]]) -> str:
    return "".join(
        QUERY.field_sep.join(r[f] for f in FIELDS) + QUERY.record_end + "\n" for r in records
    )


def use(raw: str) -> None:
    try:
        jobs = QUERY.parse(raw)
    except ProviderError:
        return
    for job in jobs:
        output_path(job)
        output_path(job, stderr=True)
        check_strings(to_job(job, "hpc", NOW, None))


@fuzz(ci=100)
@given(records=st.lists(record, max_size=4))
def test_records_read_back_field_for_field(records: list[dict[str, str]]) -> None:
    raw = printed(records)
    try:
        jobs = QUERY.parse(raw)
    except ProviderError:  # a record without a numeric job id is refused
        assert any(not (r["JobID"].isascii() and r["JobID"].isdigit()) for r in records)
        return
    assert [(j.name, j.user, j.workdir, j.reason) for j in jobs] == [
        (r["Name"], r["UserName"], r["WorkDir"], r["Reason"]) for r in records
    ]
    use(raw)


@fuzz(ci=100)
@given(raw=st.text(alphabet=st.sampled_from(NASTY + "tok"), max_size=300))
def test_any_answer_gives_jobs_or_a_provider_error(raw: str) -> None:
    use(raw)
