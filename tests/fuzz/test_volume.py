"""10 MB of random bytes through the terminal model and through the log store, within bounds.

Random bytes hold every escape introducer, C0 and C1 control and broken UTF-8 there is, at the
rate chance gives (an ESC every 256 bytes). Both passes run under tracemalloc (which slows
Python allocation about twice), fed as the app feeds them: 128 KiB slices into the terminal
model (emulator + scanner) as the view does, and lines in batches of 2,000 into the log store.

Bounds, generous for a shared 2-core machine (measured there: terminal 0.18 s/MB, 2 MB traced
peak, ~60 MB more RSS for pyavt's 10,000-line scrollback; log 0.5 s/MB, 22 MB traced peak for
41,000 lines retained):
- at most 2 s per MB, for each;
- terminal: a traced peak under 32 MB and RSS growth under 300 MB, whatever the input size
  (the scrollback is bounded; pyavt's cells live outside tracemalloc's view, hence RSS);
- log store: a traced peak under 8x the input (it keeps every line here: fewer than its 100,000).
Afterwards the screen, the scrollback and every stored line are free of control characters.

`CLUSTERDECK_FUZZ_FULL=1` feeds 50 MB instead.
"""

from __future__ import annotations

import codecs
import os
import random
import re
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.fuzz.budget import FULL
from tests.fuzz.test_terminal import check_screen
from widgets.log.store import LogStore
from widgets.terminal.model import TerminalModel

MB = 1 << 20
SIZE = (50 if FULL else 10) * MB
SECONDS_PER_MB = 2.0
TERMINAL_PEAK = 32 * MB
TERMINAL_RSS = 300 * MB
LOG_PEAK_PER_INPUT = 8
SLICE = 128 * 1024
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def noise() -> bytes:
    return random.Random(20_260_301).randbytes(SIZE)


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measure:
    seconds: float = 0.0
    peak: int = 0
    rss_growth: int = 0


@contextmanager
def measured() -> Iterator[Measure]:
    result = Measure()
    before = rss()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        result.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result.rss_growth = rss() - before


@pytest.mark.timeout(600)
def test_random_bytes_through_the_terminal_model(noise: bytes) -> None:
    model = TerminalModel(200, 50)
    with measured() as cost:
        for start in range(0, len(noise), SLICE):
            model.feed(noise[start : start + SLICE])
    per_mb = cost.seconds / (len(noise) / MB)
    grown = cost.rss_growth / MB
    print(f"terminal: {per_mb:.3f} s/MB, traced peak {cost.peak / MB:.1f} MB, RSS +{grown:.0f} MB")
    assert per_mb < SECONDS_PER_MB
    assert cost.peak < TERMINAL_PEAK
    assert cost.rss_growth < TERMINAL_RSS
    assert model.emulator.history_size == 10_000
    check_screen(model)
    emulator = model.emulator
    for index in range(emulator.history_size):
        assert not CONTROLS.search("".join(emulator.line_cells(index)))


def lines_of(noise: bytes) -> Iterator[list[str]]:
    """The noise as a log follower hands it on: decoded, split at LF, in batches of 2,000."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for start in range(0, len(noise), SLICE):
        lines = (pending + decoder.decode(noise[start : start + SLICE])).split("\n")
        pending = lines.pop()
        for first in range(0, len(lines), 2000):
            yield lines[first : first + 2000]
    yield [pending]


@pytest.mark.timeout(600)
def test_random_bytes_through_the_log_store(noise: bytes) -> None:
    store = LogStore(100_000)
    with measured() as cost:
        written = sum(store.append(batch)[0] for batch in lines_of(noise))
    per_mb = cost.seconds / (len(noise) / MB)
    print(f"log store: {per_mb:.3f} s/MB, traced peak {cost.peak / MB:.1f} MB, {written} lines")
    assert per_mb < SECONDS_PER_MB
    assert cost.peak < LOG_PEAK_PER_INPUT * len(noise)
    assert store.line_count == min(written, 100_000)
    for text in store.texts(store.first, store.next):
        assert not CONTROLS.search(text.replace("\n", ""))
