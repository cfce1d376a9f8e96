"""The sampler's output parser: exact figures from a good block, nothing from garbage."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.watch.metrics import SampleParser

BLOCK = (
    b"S\ncpu  {busy} 0 0 {idle} 0 0 0 0 0 0\nload 1.50 0.5 0.2 1/99 7\n"
    b"mem MemTotal: 1000\nmem MemAvailable: 250\ngpu 37, 1024, 16384\nE\n"
)


def block(busy: int, idle: int) -> bytes:
    return BLOCK.replace(b"{busy}", str(busy).encode()).replace(b"{idle}", str(idle).encode())


def test_two_blocks_give_cpu_memory_load_and_gpu() -> None:
    parser = SampleParser()
    stream = b"cdm 1 2\n" + block(100, 100) + block(150, 150)
    samples = [s for i in range(0, len(stream), 7) for s in parser.feed(stream[i : i + 7], 1.0)]
    assert [s.cpu for s in samples] == [None, 50.0]
    last = samples[-1]
    assert (last.cpus, last.load, last.mem_used_kib, last.mem_total_kib) == (2, 1.5, 750, 1000)
    assert last.mem_percent == 75.0
    assert [(g.util, g.mem_used, g.mem_total) for g in last.gpus] == [(37.0, 1024.0, 16384.0)]


def test_broken_blocks_are_dropped() -> None:
    parser = SampleParser()
    bad = [
        b"S\ncpu 1 2 3\nE\n",  # too few fields, no memory
        b"S\ncpu  -1 0 0 1 0\nload 1\nmem MemTotal: 1\nmem MemAvailable: 1\nE\n",
        b"S\ncpu  1 0 0 1 0\nload inf\nmem MemTotal: 1\nmem MemAvailable: 1\nE\n",
        b"S\n" + b"x" * 100_000 + b"\nE\n",
        b"gpu 1, 2, 3\nE\n",  # outside a block
    ]
    assert [s for chunk in bad for s in parser.feed(chunk, 0.0)] == []
    assert list(parser.feed(block(1, 1), 0.0))  # and a good block still parses after them


def test_gpu_lines_out_of_range_are_ignored() -> None:
    parser = SampleParser()
    text = block(1, 1).replace(b"gpu 37, 1024, 16384", b"gpu 900, 1, 2\ngpu [N/A], 1, 2")
    (sample,) = parser.feed(text, 0.0)
    assert sample.gpus == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_garbage_never_raises(chunks: list[bytes]) -> None:
    parser = SampleParser()
    for chunk in chunks:
        for sample in parser.feed(chunk, 0.0):
            assert sample.cpu is None or 0 <= sample.cpu <= 100
            assert 0 <= sample.mem_used_kib <= sample.mem_total_kib
