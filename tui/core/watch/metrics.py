"""Node metrics: the sampler's shell loop, the parser of its output, and the samples it yields.

The loop (`SAMPLER_SCRIPT`) runs once per node, over the pooled SSH connection, and prints a
block every interval::

    cdm 1 2                      version, number of CPUs (from /proc/stat, once)
    S
    cpu  4705 356 584 3699 23 23 0 0 0 0      the first line of /proc/stat
    load 0.52 0.58 0.59 1/467 12345           /proc/loadavg
    mem MemTotal: 16318540
    mem MemAvailable: 9182044
    gpu 37, 1024, 16384          nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total
    E

Everything it prints is untrusted (a node may run anything): `SampleParser` reads bounded
lines, ignores what it does not know, rejects numbers out of range, and yields a `Sample` only
for a complete block. CPU utilisation is the share of non-idle time between two blocks, over
all CPUs (one busy CPU of two is 50%).
"""

from __future__ import annotations

import math
import re
import shlex
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

SAMPLER_SCRIPT = r"""i=$1; g=$2; n=0
while read -r k r; do case $k in cpu[0-9]*) n=$((n+1));; esac; done </proc/stat
printf 'cdm 1 %s\n' "$n" || exit
command -v "$g" >/dev/null 2>&1 || g=
while :; do
  printf 'S\n' || exit
  read -r l </proc/stat; printf '%s\n' "$l"
  read -r l </proc/loadavg; printf 'load %s\n' "$l"
  while read -r k v r; do
    case $k in MemTotal:|MemAvailable:) printf 'mem %s %s\n' "$k" "$v";; esac
  done </proc/meminfo
  if [ -n "$g" ]; then
    "$g" --query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits \
      2>/dev/null | while read -r l; do printf 'gpu %s\n' "$l"; done
  fi
  printf 'E\n' || exit
  sleep "$i" || exit
done
"""
"""POSIX sh, builtins only but `sleep` (and nvidia-smi when present): one fork per sample."""

MAX_LINE = 1024
"""Longer lines are dropped (a sane block has lines of under 200 characters)."""
MAX_GPUS = 16
MAX_CPUS = 65536


def sampler_command(interval: int, nvidia_smi: str = "nvidia-smi") -> str:
    """The one remote command of a node's sampler (run by any login shell: sh, bash, fish)."""
    return shlex.join(["exec", "sh", "-c", SAMPLER_SCRIPT, "cdm", str(interval), nvidia_smi])


@dataclass(frozen=True)
class GpuSample:
    """One GPU: utilisation in percent, memory in MiB."""

    util: float
    mem_used: float
    mem_total: float


@dataclass(frozen=True)
class Sample:
    """One reading of a node."""

    at: float
    """When it arrived (the app's monotonic clock)."""
    cpu: float | None
    """Percent of all CPUs busy since the previous sample (None for the first one)."""
    load: float
    """The one-minute load average."""
    cpus: int
    mem_used_kib: int
    mem_total_kib: int
    gpus: tuple[GpuSample, ...] = ()

    @property
    def mem_percent(self) -> float:
        """Memory in use (total minus available) as a percent of the total."""
        return 100.0 * self.mem_used_kib / self.mem_total_kib if self.mem_total_kib else 0.0


_NUMBER = re.compile(r"^\d{1,20}$")
_FLOAT = re.compile(r"^\d{1,12}(?:\.\d{1,6})?$")


def _int(text: str) -> int | None:
    return int(text) if _NUMBER.match(text) else None


def _float(text: str, high: float) -> float | None:
    if not _FLOAT.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) and value <= high else None


class SampleParser:
    """Turns the sampler's output (bytes, cut anywhere) into `Sample`s; never raises."""

    def __init__(self) -> None:
        self.cpus = 0
        self.version_seen = False
        self._buffer = b""
        self._block: dict[str, object] | None = None
        self._previous_cpu: tuple[int, int] | None = None

    def feed(self, data: bytes, now: float) -> Iterator[Sample]:
        """The samples completed by `data`."""
        self._buffer += data
        if len(self._buffer) > 64 * MAX_LINE and b"\n" not in self._buffer:
            self._buffer = b""  # one endless line: drop it
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            if len(raw) > MAX_LINE:
                continue
            sample = self._line(raw.decode("ascii", "replace").strip(), now)
            if sample is not None:
                yield sample

    def _line(self, line: str, now: float) -> Sample | None:
        words = line.split()
        if not words:
            return None
        head = words[0]
        if head == "cdm" and len(words) == 3:
            cpus = _int(words[2])
            if cpus is not None and 0 < cpus <= MAX_CPUS:
                self.cpus, self.version_seen = cpus, True
        elif head == "S":
            self._block = {"gpus": []}
        elif self._block is None:
            return None
        elif head == "cpu" and len(words) >= 5:
            ticks = [_int(word) for word in words[1:11]]
            if all(t is not None for t in ticks):
                values = [t for t in ticks if t is not None]
                idle = values[3] + (values[4] if len(values) > 4 else 0)
                self._block["cpu"] = (sum(values[:8]), idle)
        elif head == "load" and len(words) >= 2:
            load = _float(words[1], 1e6)
            if load is not None:
                self._block["load"] = load
        elif head == "mem" and len(words) == 3:
            value = _int(words[2])
            if value is not None and words[1] in ("MemTotal:", "MemAvailable:"):
                self._block[words[1]] = value
        elif head == "gpu":
            self._gpu(line[3:])
        elif head == "E":
            return self._finish(now)
        return None

    def _gpu(self, text: str) -> None:
        assert self._block is not None
        gpus = self._block["gpus"]
        assert isinstance(gpus, list)
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 3 or len(gpus) >= MAX_GPUS:
            return
        util = _float(parts[0], 100.0)
        used = _float(parts[1], 1e9)
        total = _float(parts[2], 1e9)
        if util is not None and used is not None and total is not None:
            gpus.append(GpuSample(util, used, total))

    def _finish(self, now: float) -> Sample | None:
        block, self._block = self._block, None
        assert block is not None
        ticks = block.get("cpu")
        load = block.get("load")
        total = block.get("MemTotal:")
        available = block.get("MemAvailable:")
        if not (isinstance(ticks, tuple) and isinstance(load, float)):
            return None
        if not (isinstance(total, int) and isinstance(available, int)):
            return None
        cpu = None
        if self._previous_cpu is not None:
            busy_before = self._previous_cpu[0] - self._previous_cpu[1]
            spent = ticks[0] - self._previous_cpu[0]
            busy = (ticks[0] - ticks[1]) - busy_before
            if spent > 0 and 0 <= busy <= spent:
                cpu = 100.0 * busy / spent
        self._previous_cpu = ticks
        gpus = block["gpus"]
        assert isinstance(gpus, list)
        return Sample(
            at=now,
            cpu=cpu,
            load=load,
            cpus=self.cpus,
            mem_used_kib=max(0, total - min(available, total)),
            mem_total_kib=total,
            gpus=tuple(gpus),
        )


@dataclass
class History:
    """The last samples of one node (a ring buffer), and why sampling stopped if it did."""

    size: int
    samples: deque[Sample] = field(default_factory=deque)
    problem: str = ""
    """Why there are no fresh samples ("", or e.g. "no /proc on this node")."""

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        while len(self.samples) > self.size:
            self.samples.popleft()
        self.problem = ""

    @property
    def last(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    def cpu_series(self) -> list[float]:
        return [s.cpu for s in self.samples if s.cpu is not None]

    def mem_series(self) -> list[float]:
        return [s.mem_percent for s in self.samples]

    def gpu_series(self, index: int) -> list[float]:
        return [s.gpus[index].util for s in self.samples if len(s.gpus) > index]
