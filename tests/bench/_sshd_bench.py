"""CPU accounting for the SSH benchmarks: ours, the `ssh` children, the sshd tree, everyone else.

The machine is shared (other sessions run tests), so each trial reports how many cores other
processes used while it ran ("foreign" load), and trials start once the machine is quiet.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds of `root` and every process below it, reaped children included."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        used[pid] = sum(int(v) for v in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    total = 0.0
    for pid, cpu in used.items():
        walk = pid
        while walk > 1 and walk != root:
            walk = parents.get(walk, 0)
        if walk == root:
            total += cpu
    return total


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (the `ssh` clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuUse:
    """What one trial cost."""

    wall: float
    ours: float
    """CPU seconds of this process."""
    children: float
    """CPU seconds of `ssh` clients that ran and exited meanwhile."""
    server: float
    """CPU seconds of sshd and everything it ran (shells, cat, the flood)."""
    foreign_cores: float
    """Average cores used by everything else on the machine."""


class CpuMeter:
    """`start()`, run the trial, `stop()`."""

    def __init__(self, sshd_pid: int) -> None:
        self.sshd_pid = sshd_pid
        self._start = (0.0, 0.0, 0.0, 0.0, 0.0)

    def start(self) -> None:
        """Take the starting readings."""
        server = tree_cpu(self.sshd_pid)
        self._start = (
            time.perf_counter(),
            time.process_time(),
            children_cpu(),
            server,
            busy_seconds(),
        )

    def stop(self) -> CpuUse:
        """The costs since `start()`."""
        busy = busy_seconds()
        wall, ours, children = time.perf_counter(), time.process_time(), children_cpu()
        server = tree_cpu(self.sshd_pid)
        start = self._start
        use = (ours - start[1], children - start[2], server - start[3])
        elapsed = wall - start[0]
        foreign = max(0.0, (busy - start[4] - sum(use)) / max(elapsed, 1e-3))
        return CpuUse(elapsed, *use, foreign)


async def wait_for_quiet(limit: float = 0.3, longest: float = 3.0) -> float:
    """Wait (up to `longest` s) until the machine is below `limit` busy cores; the last load."""
    load = 0.0
    deadline = time.monotonic() + longest
    while True:
        before, start = busy_seconds(), time.perf_counter()
        await asyncio.sleep(0.25)
        load = (busy_seconds() - before) / (time.perf_counter() - start)
        if load < limit or time.monotonic() > deadline:
            return load
