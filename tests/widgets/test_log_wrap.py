"""`WrapIndex` against counting every line's rows one by one, through appends, trims and clears."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from widgets.log.store import LogStore
from widgets.log.wrap import WrapIndex, row_at_cell, row_spans, wrapped_rows

LINES = st.lists(st.text(st.sampled_from("ab 界é"), max_size=30), min_size=1, max_size=40)


def expected_rows(store: LogStore, width: int) -> list[tuple[int, int]]:
    """`(line, first cell)` for every row, counted line by line."""
    return [
        (g, part)
        for g in range(store.first, store.next)
        for part in range(wrapped_rows(store.line(g), width))
    ]


@settings(max_examples=150, deadline=None)
@given(
    batches=st.lists(st.one_of(LINES, st.just([])), min_size=1, max_size=12),
    max_lines=st.integers(1, 60),
    width=st.integers(1, 12),
)
def test_index_matches_counting_every_line(
    batches: list[list[str]], max_lines: int, width: int
) -> None:
    store = LogStore(max_lines)
    index = WrapIndex(store)
    index.rebuild(width)
    for batch in batches:
        if batch:
            store.append(batch)
        else:
            store.clear()
        index.catch_up()
        rows = expected_rows(store, width)
        assert index.total() == len(rows)
        assert [index.line_at(row) for row in range(len(rows))] == rows
        for g in range(store.first, store.next):
            assert rows[index.row_of(g)] == (g, 0)


def test_rows_never_split_a_wide_character() -> None:
    assert row_spans("界" * 5, 4) == [(0, 4), (4, 8), (8, 10)]
    assert row_spans("a" + "界" * 5 + "Z", 10) == [(0, 9), (9, 12)]  # the 5th moves down
    assert row_spans("界", 1) == [(0, 2)]  # wider than the row: alone on it
    assert wrapped_rows("a" + "界" * 5 + "Z", 10) == 2
    assert wrapped_rows("", 4) == 1 and row_spans("", 4) == [(0, 0)]
    assert wrapped_rows("x" * 5000, 10) == 100  # lines render up to 1000 characters
    assert row_at_cell("a" + "界" * 5 + "Z", 10, 9) == 1


@given(line=st.text(st.sampled_from("ab 界é\u0301"), max_size=40), width=st.integers(1, 9))
def test_spans_cover_the_line_and_fit_the_width(line: str, width: int) -> None:
    spans = row_spans(line, width)
    assert len(spans) == wrapped_rows(line, width)
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in pairwise(spans))
    assert all(end - start <= max(width, 2) for start, end in spans)


def test_an_empty_batch_changes_nothing() -> None:
    store = LogStore(5)
    assert store.append([]) == (0, 0)
    assert store.append(["a", "b"]) == (2, 0)
    assert store.append([]) == (0, 0)
    assert store.line_count == 2
