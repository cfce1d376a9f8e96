"""The Rescale tail de-duplication: a growing log seen only through "last N lines" windows."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.core.providers.rescale.tail import Outcome, TailAssembler, borders, normalise_window

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def poll(tail: TailAssembler, file: Sequence[str], base: int) -> tuple[Outcome, list[int]]:
    """One poll of `file` as the server would answer `?lines=n`; returns the sizes asked for."""
    requested: int | None = min(base, tail.cap)
    asked = []
    while requested is not None:
        asked.append(requested)
        answer = list(file[-requested:]) if requested else []
        outcome, requested = tail.step(answer, requested)
    return outcome, asked


def is_subsequence(part: Sequence[str], whole: Sequence[str]) -> bool:
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


def run(log: Sequence[str], steps: Sequence[int], *, base: int, cap: int) -> TailAssembler:
    """Grow `log` by `steps`, polling after each step; assert the invariants after every poll."""
    tail = TailAssembler(cap=cap)
    size = 0
    for step in steps:
        size = min(len(log), size + step)
        poll(tail, log[:size], base)
        shown = tail.lines
        assert is_subsequence(shown, log[:size]), "a line was doubled or invented"
        if shown != list(log[:size]):
            assert tail.notes, "lines were lost without a note"
        if size:
            assert shown[-1] == log[size - 1], "the newest line is always shown"
    return tail


repeating_lines = st.lists(st.sampled_from(["x", "x", "x", "y", ""]), max_size=120)


@FAST
@given(log=repeating_lines, data=st.data(), base=st.integers(2, 12))
def test_growth_within_the_window_is_exact_even_with_identical_lines(
    log: list[str], data: st.DataObject, base: int
) -> None:
    # each poll sees fewer new lines than the tail window; the window may widen up to the file
    steps = data.draw(st.lists(st.integers(0, base - 1), max_size=60))
    tail = run(log, [*steps, *[base - 1] * len(log)], base=base, cap=10_000)
    assert tail.lines == log
    assert tail.notes == []


@FAST
@given(log=repeating_lines, data=st.data(), base=st.integers(2, 12), factor=st.integers(1, 5))
def test_a_small_cap_never_doubles_and_never_loses_silently(
    log: list[str], data: st.DataObject, base: int, factor: int
) -> None:
    steps = data.draw(st.lists(st.integers(0, base - 1), max_size=60))
    run(log, steps, base=base, cap=base * factor)  # `run` checks after every poll


@FAST
@example(blocks=[(0, 1), (0, 3)], steps=[2, 2], base=2)  # a one-line overlap is no proof
@example(blocks=[(0, 3)], steps=[1, 2], base=2)  # a short log, then a full window
@given(
    blocks=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 12)), max_size=25),
    steps=st.lists(st.integers(0, 60), max_size=40),
    base=st.integers(2, 8),
)
def test_rolling_past_the_window_is_reported_never_silent_never_doubled(
    blocks: list[tuple[int, int]], steps: list[int], base: int
) -> None:
    # blocks of identical lines; a line's text names its block, so old text never recurs
    log = [f"block {i} kind {kind}" for i, (kind, count) in enumerate(blocks) for _ in range(count)]
    tail = run(log, steps, base=base, cap=base * 4)
    outcome = tail.reconcile(log)
    assert tail.lines[-1:] == log[-1:]
    if not tail.notes:
        assert tail.lines == log
    assert is_subsequence(outcome.new_lines, log)


def test_a_roll_past_the_window_is_a_gap_note() -> None:
    log = [f"line {i}" for i in range(100)]
    tail = TailAssembler(cap=16)
    poll(tail, log[:10], 4)
    assert tail.lines == log[:10]
    outcome, asked = poll(tail, log[:60], 4)
    assert asked == [4, 16]
    assert tail.lines == log[:10] + log[44:60]
    assert len(outcome.notes) == 1 and outcome.notes[0].startswith("gap:")
    assert tail.notes == [(10, outcome.notes[0])]
    # later polls continue without a note
    outcome, _ = poll(tail, log[:62], 4)
    assert outcome.new_lines == log[60:62] and outcome.notes == []
    # the stored log fills in the end only; the note says the live view missed lines
    final = tail.reconcile(log)
    assert final.new_lines == log[62:]
    assert "missed" in final.notes[0]


def test_identical_lines_are_counted_by_widening_the_window() -> None:
    log = ["start", *["same"] * 30]
    tail = TailAssembler(cap=1000)
    poll(tail, log[:5], 4)
    outcome, asked = poll(tail, log[:8], 4)
    # every window of "same" fits any shift; the window grows until it reaches "start"
    assert asked == [4, 16]
    assert outcome.new_lines == ["same"] * 3
    _, asked = poll(tail, log[:31], 4)
    assert tail.lines == log and tail.notes == []


def test_a_log_of_identical_lines_beyond_the_cap_gets_one_note() -> None:
    log = ["same"] * 200
    tail = TailAssembler(cap=8)
    poll(tail, log[:3], 4)
    poll(tail, log[:100], 4)
    first = len(tail.notes)
    poll(tail, log[:101], 4)
    poll(tail, log[:102], 4)
    assert len(tail.notes) == first == 1  # one note for the whole repeating stretch
    assert "repeat" in tail.notes[0][1]
    assert is_subsequence(tail.lines, log)


def test_the_first_window_of_a_long_log_says_its_beginning_is_missing() -> None:
    tail = TailAssembler(cap=8)
    outcome, asked = poll(tail, [f"l{i}" for i in range(50)], 2)
    assert asked == [2, 8]
    assert outcome.new_lines == [f"l{i}" for i in range(42, 50)]
    assert "beginning is not shown" in outcome.notes[0]


def test_a_truncated_log_is_shown_again_with_a_note() -> None:
    tail = TailAssembler(cap=100)
    poll(tail, ["a", "b", "c"], 10)
    outcome, _ = poll(tail, ["new"], 10)
    assert outcome.new_lines == ["new"]
    assert "truncated" in outcome.notes[0]


def test_a_line_still_being_written_is_held_back() -> None:
    assert normalise_window(["a\n", "b\r\n", "par"]) == (["a", "b"], True)
    assert normalise_window(["a", "b"]) == (["a", "b"], False)
    assert normalise_window([]) == ([], False)
    tail = TailAssembler(cap=100)
    first, _ = tail.step(["one\n", "tw"], 10)
    assert first.new_lines == ["one"]
    second, _ = tail.step(["one\n", "two\n", "three\n"], 10)
    assert second.new_lines == ["two", "three"]


def test_borders_lists_every_overlap_longest_first() -> None:
    assert borders(["a", "a", "b"], ["x", "a", "a"]) == [2, 1]
    assert borders(["a", "b"], ["b", "a"]) == [1]
    assert borders(["q"], ["a"]) == []
    assert borders([], ["a"]) == []
    assert borders(["a", "a", "a"], ["a", "a", "a"]) == [3, 2, 1]


def test_reconcile_without_a_live_view_delivers_the_stored_file() -> None:
    tail = TailAssembler(cap=10)
    outcome = tail.reconcile(["a", "b"])
    assert outcome.new_lines == ["a", "b"] and outcome.notes == []
    assert tail.finished
