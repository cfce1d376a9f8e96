"""Slurm hostlist expansion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.providers.slurm.hostlist import HostlistError, expand_hostlist


@pytest.mark.parametrize(
    ("hostlist", "names"),
    [
        ("", []),
        (None, []),
        ("(null)", []),
        ("node01", ["node01"]),
        ("node[01-04,07]", ["node01", "node02", "node03", "node04", "node07"]),
        ("node[8-11]", ["node8", "node9", "node10", "node11"]),
        ("node[008-010]", ["node008", "node009", "node010"]),
        ("gpu[1-2],cn[001-002]", ["gpu1", "gpu2", "cn001", "cn002"]),
        ("a1,b2,c3", ["a1", "b2", "c3"]),
        ("rack[1-2]-n[1-2]", ["rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"]),
        ("cn[1-2]-ib", ["cn1-ib", "cn2-ib"]),
        ("node[01-02],node01", ["node01", "node02"]),
        (" n[0-1] ", ["n0", "n1"]),
    ],
)
def test_expand(hostlist: str | None, names: list[str]) -> None:
    assert expand_hostlist(hostlist) == names


@pytest.mark.parametrize(
    "bad", ["node[01-02", "node01]", "node[a-b]", "node[5-3]", "n[[1-2]]", "n[1-99999999]"]
)
def test_malformed_hostlists_raise(bad: str) -> None:
    with pytest.raises(HostlistError):
        expand_hostlist(bad)


@given(
    st.sampled_from(["node", "cn", "gpu-"]),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 20)), min_size=1, max_size=8),
    st.sampled_from([0, 3]),
)
def test_ranges_expand_to_every_name_in_order(
    prefix: str, spans: list[tuple[int, int]], width: int
) -> None:
    parts = [f"{str(low).zfill(width)}-{str(low + size).zfill(width)}" for low, size in spans]
    expected = [
        f"{prefix}{str(n).zfill(width)}" for low, size in spans for n in range(low, low + size + 1)
    ]
    assert expand_hostlist(f"{prefix}[{','.join(parts)}]") == list(dict.fromkeys(expected))
