"""Hypothesis strategies for provider JSON: the real shapes, with any field broken.

`mutated(base)` walks a document of the real shape (Slurm `squeue --json` / `sinfo --json` in
the 22.05 and 23.x forms, Rescale job list items, status histories, instances, job details) and
leaves each value alone or makes it missing, null, of the wrong type, huge, unicode or full of
control characters; lists may lose, repeat or gain items. `raw_documents` adds text that is not
the JSON asked for at all (truncated, HTML, deeply nested, huge numbers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[1] / "data" / "slurm"
MISSING = object()

NASTY_TEXT = (
    "",
    "None",
    "(null)",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;pwned\x07",
    "\x00\x07\x08\x7f\x9b",
    "[b]markup[/b] [link=x]",
    "漢字ｗｉｄｅ🎉",
    "e\u0301\u202eevil\u202c",
    "line\nbreak\r\n",
    "x" * 5000,
    "n[1-1500]",
    "n[0-9999,0-9999,0-9999]x[0-99]",
    "cn[001-002,010]",
    "a[",
    "%j-%x-%A_%a-%N-%u.out",
    "%99999999999j",
    "%4j%%\\",
    "2026-13-45T25:61:61Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999+14:00",
    "1e400",
    "-1",
    "MPI_MASTER",
    "Completed",
    "Executing",
    "RUNNING",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([0, -1, 2**31 - 1, 2**32 - 1, 2**32 - 2, 2**63 - 1, 10**18, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(NASTY_TEXT),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
"""Any JSON value (NaN and infinities too: Python's json reads and writes them)."""


@st.composite
def mutated(draw: st.DrawFn, base: Any, depth: int = 0) -> Any:
    """`base` with some values replaced (or, inside objects, removed: `MISSING`)."""
    roll = draw(st.integers(0, 15))
    if roll == 0 and depth:
        return MISSING
    if roll == 1:
        return None
    if roll == 2:
        return draw(values)
    if roll == 3:
        return draw(st.sampled_from(NASTY_TEXT))
    if isinstance(base, dict):
        out = {}
        for key, item in base.items():
            value = draw(mutated(item, depth + 1))
            if value is not MISSING:
                out[key] = value
        for key, item in draw(st.dictionaries(st.text(max_size=8), values, max_size=2)).items():
            out.setdefault(key, item)
        return out
    if isinstance(base, list):
        items = [draw(mutated(item, depth + 1)) for item in base]
        items = [item for item in items if item is not MISSING]
        if items and draw(st.integers(0, 1)) == 1:
            items.append(items[draw(st.integers(0, len(items) - 1))])  # a repeat
        return items
    return base


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / name).read_text())
    return doc


JOB_KEYS = (
    *("job_id", "job_state", "nodes", "array_job_id", "array_task_id", "name", "user_name"),
    *("user", "state_reason", "partition", "node_count", "batch_host", "submit_time"),
    *("start_time", "end_time", "time_limit", "exit_code", "current_working_directory"),
    *("standard_output", "standard_error", "stdout_expanded", "stderr_expanded"),
)
"""What the parser reads of a job (the samples hold a hundred more keys, slow to mutate)."""
GROUP_KEYS = ("node", "nodes", "cpus", "reason")


def _trim(doc: dict[str, Any], key: str, count: int, keep: tuple[str, ...]) -> dict[str, Any]:
    """The document with its first `count` items of `key`, each with only the `keep` keys
    (small examples generate and shrink fast)."""
    items = [{k: item[k] for k in keep if k in item} for item in doc[key][:count]]
    return {"meta": doc.get("meta"), "errors": doc.get("errors"), key: items}


SQUEUE = [_trim(_load(n), "jobs", 3, JOB_KEYS) for n in ("squeue-22.05.json", "squeue-23.11.json")]
SINFO = [
    _trim(_load("sinfo-22.05.json"), "nodes", 3, ("name", "address", "hostname", "state")),
    _trim(_load("sinfo-23.02.json"), "nodes", 3, ("name", "address", "state", "cpu_load")),
    _trim(_load("sinfo-23.11.json"), "sinfo", 3, GROUP_KEYS),
]
CONTROLLER_DOWN = [_load("squeue-22.05-controller-down.json")]

RESCALE_ITEM = {
    "id": "WbGqa",
    "name": "cfd-wing",
    "owner": "ada@example.com",
    "dateInserted": "2026-03-01T08:00:00.000000Z",
    "jobStatus": {"content": "Executing", "labelClass": "info", "useLabel": True},
    "clusterStatusDisplay": {"content": "Started", "labelClass": "", "useLabel": True},
}
RESCALE_STATUS = [
    {"status": "Completed", "statusDate": "2026-03-01T09:00:00.000000Z", "statusReason": "x"},
    {"status": "Executing", "statusDate": "2026-03-01T08:05:00Z", "statusReason": None},
    {"status": "Queued", "statusDate": "2026-03-01T08:01:00+02:00"},
]
RESCALE_INSTANCES = [
    {"publicIp": "3.0.0.1", "username": "uprod_abcde", "sshPort": 32100, "role": "MPI_MASTER"},
    {"publicIp": "3.0.0.2", "username": "uprod_abcde", "sshPort": 22, "role": "MPI_SLAVE"},
    {"publicIp": "", "role": "MPI_SLAVE"},
]
RESCALE_DETAIL = {
    "id": "WbGqa",
    "name": "cfd-wing",
    "owner": "ada@example.com",
    "sshPort": 22,
    "cidrRule": "0.0.0.0/0",
    "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake ada@laptop",
    "jobanalyses": [
        {
            "analysis": {"code": "user_included", "name": "BYOS", "versionName": "0"},
            "command": "./run.sh",
            "hardware": {"coreType": {"code": "emerald"}, "coresPerSlot": 36},
        }
    ],
}
LOG_LINES = [
    "SSH: uprod_abcde@3.0.0.1 (port 32100)",
    "ssh -p 22 user@host.example.com",
    "server listening on port 8888",
]

raw_documents = st.one_of(
    st.sampled_from(
        [
            "",
            "null",
            "[]",
            "{}",
            '{"jobs": {}}',
            '{"errors": "x", "jobs": []}',
            "<html><body>502 Bad Gateway</body></html>",
            '{"jobs": [{"job_id": 1',  # cut short
            "[" * 3000 + "]" * 3000,  # nested past the recursion limit
            '{"jobs": [{"job_id": ' + "9" * 5000 + "}]}",  # past int()'s digit limit
            '{"jobs": [{"job_id": Infinity, "time_limit": NaN}]}',
            "\ufeff{}",
            "\x00\x1b[2J",
        ]
    ),
    st.text(max_size=50),
)
"""Answers that are not the JSON asked for."""


def dumps(doc: Any) -> str:
    """JSON text as a remote might print it (NaN and Infinity allowed, as Python reads them)."""
    return json.dumps(doc, ensure_ascii=False)
