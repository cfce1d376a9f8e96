"""Output paths (sbatch patterns) and the byte-offset line splitter."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.providers.slurm.log import (
    MAX_LINES,
    LineSplitter,
    batches_of,
    expand_pattern,
    idle_pause,
    output_path,
)
from tui.core.providers.slurm.parse import SlurmJob

JOB = SlurmJob(
    job_id="42",
    name="cfd",
    user="alice",
    state="RUNNING",
    nodes=("cn001", "cn002"),
    batch_host="cn001",
    workdir="/home/alice/run",
)
TASK = dataclasses.replace(JOB, job_id="57", array_job_id=50, array_task_id=7)


@pytest.mark.parametrize(
    ("pattern", "job", "expected"),
    [
        ("%j.out", JOB, "42.out"),
        ("%x-%j-%u.log", JOB, "cfd-42-alice.log"),
        ("%N/%j", JOB, "cn001/42"),
        ("100%%-%j", JOB, "100%-42"),
        ("%5j", JOB, "00042"),
        ("%A_%a", TASK, "50_7"),
        ("%A_%a", JOB, "42_4294967294"),
        ("%J-%s-%t-%n", JOB, "42-batch-0-0"),
        ("%b", TASK, "7"),
        ("lit\\%j", JOB, "lit%j"),
        ("%q%j", JOB, "%q42"),
    ],
)
def test_expand_pattern(pattern: str, job: SlurmJob, expected: str) -> None:
    assert expand_pattern(pattern, job) == expected


def test_default_output_paths() -> None:
    assert output_path(JOB) == "/home/alice/run/slurm-42.out"
    assert output_path(JOB, stderr=True) == "/home/alice/run/slurm-42.out"
    assert output_path(TASK) == "/home/alice/run/slurm-50_7.out"


def test_given_and_expanded_paths() -> None:
    job = dataclasses.replace(JOB, stdout="/scratch/%x/%j.out", stderr="err-%j.txt")
    assert output_path(job) == "/scratch/cfd/42.out"
    assert output_path(job, stderr=True) == "/home/alice/run/err-42.txt"
    done = dataclasses.replace(job, stdout_expanded="/srv/out-42", stderr_expanded="/srv/err-42")
    assert (output_path(done), output_path(done, stderr=True)) == ("/srv/out-42", "/srv/err-42")


def test_partial_line_is_held_back_until_complete() -> None:
    split = LineSplitter(10)
    assert split.feed(b"one\ntw") == ["one"]
    assert split.offset == 14 and split.received == 16
    assert split.feed(b"o\r\n") == ["two"]
    assert split.offset == 19
    assert split.feed(b"tail") == []
    assert split.flush() == ["tail"] and split.offset == 23
    assert split.flush() == []


def test_bad_utf8_is_replaced() -> None:
    assert LineSplitter().feed(b"caf\xc3\xa9 \xff\n") == ["café \ufffd"]


@given(st.binary(max_size=400), st.lists(st.integers(1, 50), max_size=30))
def test_any_chunking_gives_the_same_lines_and_offsets(data: bytes, cuts: list[int]) -> None:
    whole = LineSplitter()
    expected = whole.feed(data)
    split = LineSplitter()
    got: list[str] = []
    pos = 0
    for size in cuts:
        got += split.feed(data[pos : pos + size])
        pos += size
    got += split.feed(data[pos:])
    assert got == expected and split.offset == whole.offset
    assert split.offset == data.rfind(b"\n") + 1


@given(st.lists(st.text(alphabet="abc é", max_size=8), max_size=20), st.integers(0, 20))
def test_resume_at_offset_neither_loses_nor_doubles(lines: list[str], stop: int) -> None:
    data = "".join(f"{line}\n" for line in lines).encode()
    first = LineSplitter()
    seen = first.feed(data[: min(stop * 3, len(data))])
    resumed = LineSplitter(first.offset)
    seen += resumed.feed(data[first.offset :])
    assert seen == lines


def test_idle_pause_backs_off() -> None:
    assert idle_pause(0.0, progressed=True, cap=2) == 0.0
    assert idle_pause(0.0, progressed=False, cap=2) == 0.1
    assert idle_pause(1.5, progressed=False, cap=2) == 2


def test_big_feeds_are_batched_with_exact_offsets() -> None:
    data = b"".join(f"{i}\n".encode() for i in range(MAX_LINES + 5))
    split = LineSplitter(100)
    batches = batches_of("7", split.feed_lines(data))
    assert [len(b.lines) for b in batches] == [MAX_LINES, 5]
    first_part = b"".join(f"{i}\n".encode() for i in range(MAX_LINES))
    assert batches[0].offset == 100 + len(first_part)  # resuming there loses nothing
    assert batches[1].offset == 100 + len(data) == split.offset
    assert batches_of("7", []) == []
