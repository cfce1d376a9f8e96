"""The demo cluster's script: which jobs exist, how they move over time, and what they log.

Everything here is pure and deterministic: given the seed and a point in *demo time* (seconds since
the demo began, scaled by the provider's speed), the same jobs, states, loads and log lines come
out. Times before the demo began are negative (the running job was started before launch).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.models import JobState, NodeState

LINE_INTERVAL = 0.5
"""Demo seconds between two lines of a running job's log."""

SSH_LINE_INDEX = 3
"""Index of the `SSH: user@host port N` line in a running job's log."""

HTTP_LINE_INDEX = 7
"""Index of the `server listening on port N` line in a running job's log."""


@dataclass(frozen=True)
class JobSpec:
    """One scripted job. Times are demo seconds; `None` means "never"."""

    id: str
    name: str
    nodes: tuple[str, ...]
    cores: int
    submitted_at: float
    starts_at: float
    runs_at: float
    ends_at: float | None = None
    final_state: JobState = JobState.COMPLETED
    case: str = "cfd"

    @property
    def is_live(self) -> bool:
        """True for a job that never ends: its log grows for as long as the demo runs."""
        return self.ends_at is None


@dataclass(frozen=True)
class LogContext:
    """What a log line needs from the running demo: who logs in, where, and the wall clock."""

    user: str
    ssh_port: int
    http_port: int
    epoch: datetime
    speed: float = 1.0

    def stamp(self, at: float) -> str:
        """The `HH:MM:SS` wall-clock time of demo second `at`."""
        return (self.epoch + timedelta(seconds=at / self.speed)).strftime("%H:%M:%S")


def master_of(spec: JobSpec) -> str:
    """The name of the job's master node."""
    return spec.nodes[0]


def _workers(count: int) -> tuple[str, ...]:
    return ("master-0", *(f"worker-{i}" for i in range(1, count)))


JOBS: tuple[JobSpec, ...] = (
    JobSpec("4207", "cfd-wing", _workers(4), 36, -420.0, -330.0, -300.0, case="cfd"),
    JobSpec("4211", "md-run", _workers(2), 36, -15.0, 20.0, 30.0, case="md"),
    JobSpec(
        "4198", "sweep-17", _workers(2), 36, -10_800.0, -10_740.0, -10_680.0,
        ends_at=-10_680.0 + 320 * 5.0, final_state=JobState.COMPLETED, case="sweep",
    ),
    JobSpec(
        "4203", "mesh-prep", _workers(1), 16, -5_400.0, -5_370.0, -5_340.0,
        ends_at=-5_340.0 + 58 * 2.0, final_state=JobState.FAILED, case="mesh",
    ),
)  # fmt: skip
"""The demo's jobs, in display order."""


class DemoScript:
    """The deterministic timeline and log generator for one seed."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.jobs = JOBS
        self._by_id = {spec.id: spec for spec in JOBS}
        self._finished: dict[str, tuple[str, ...]] = {}

    def spec(self, job_id: str) -> JobSpec | None:
        """The spec of `job_id`, or None if the demo has no such job."""
        return self._by_id.get(job_id)

    # --- randomness -------------------------------------------------------------------------

    def unit(self, *parts: object) -> float:
        """A pseudo-random number in [0, 1) fixed by the seed and `parts`."""
        text = ":".join(str(p) for p in (self.seed, *parts)).encode()
        digest = hashlib.blake2b(text, digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    # --- timeline ---------------------------------------------------------------------------

    def state_at(self, spec: JobSpec, t: float) -> JobState:
        """The job's state at demo second `t`."""
        if spec.ends_at is not None and t >= spec.ends_at:
            return spec.final_state
        if t >= spec.runs_at:
            return JobState.RUNNING
        if t >= spec.starts_at:
            return JobState.STARTING
        return JobState.QUEUED

    def node_state_at(self, spec: JobSpec, t: float) -> NodeState:
        """The state of every node of the job at demo second `t`."""
        state = self.state_at(spec, t)
        if state is JobState.QUEUED:
            return NodeState.PENDING
        if state is JobState.STARTING:
            return NodeState.STARTING
        if state is JobState.RUNNING:
            return NodeState.RUNNING
        return NodeState.STOPPED

    def next_event(self, t: float) -> float | None:
        """The first demo second after `t` at which some job changes state, if any."""
        times = [
            at
            for spec in self.jobs
            for at in (spec.starts_at, spec.runs_at, spec.ends_at)
            if at is not None and at > t
        ]
        return min(times, default=None)

    def load_at(self, spec: JobSpec, node_index: int, t: float) -> float | None:
        """The node's load average at demo second `t` (None when the node is not up)."""
        state = self.node_state_at(spec, t)
        if state is NodeState.STARTING:
            return round(0.2 + 1.2 * self.unit("load", spec.id, node_index, math.floor(t)), 1)
        if state is not NodeState.RUNNING:
            return None
        bucket = math.floor(t / 2.0)
        base = 0.78 + 0.12 * self.unit("base", spec.id, node_index)
        wave = 0.04 * math.sin(t / 17.0 + node_index)
        jitter = 0.06 * (self.unit("load", spec.id, node_index, bucket) - 0.5)
        return round(spec.cores * min(1.05, base + wave + jitter), 1)

    def status_detail(self, spec: JobSpec, t: float) -> str:
        """A short human note on what the job is doing at demo second `t`."""
        state = self.state_at(spec, t)
        n = len(spec.nodes)
        if state is JobState.QUEUED:
            return f"waiting for {n} nodes"
        if state is JobState.STARTING:
            return f"booting {n} nodes"
        if state is JobState.RUNNING:
            return f"iteration {max(0, self.lines_due(spec, t) - _PREAMBLE_LEN)}"
        if state is JobState.FAILED:
            return "exit code 1"
        return "exit code 0"

    # --- logs -------------------------------------------------------------------------------

    def lines_due(self, spec: JobSpec, t: float) -> int:
        """How many lines of a live job's log exist at demo second `t`."""
        if t < spec.runs_at:
            return 0
        return math.floor((t - spec.runs_at) / LINE_INTERVAL + 1e-9) + 1

    def line_time(self, spec: JobSpec, index: int) -> float:
        """The demo second at which line `index` of a live job's log is written."""
        return spec.runs_at + index * LINE_INTERVAL

    def lines(self, spec: JobSpec, start: int, stop: int, ctx: LogContext) -> tuple[str, ...]:
        """Lines `start` to `stop` (exclusive) of a live job's log."""
        return tuple(self.live_line(spec, i, ctx) for i in range(start, stop))

    def live_line(self, spec: JobSpec, index: int, ctx: LogContext) -> str:
        """Line `index` of a live job's log, with its timestamp."""
        stamp = ctx.stamp(self.line_time(spec, index))
        if index < _PREAMBLE_LEN:
            return f"{stamp} {self._preamble(spec, ctx, live=True)[index]}"
        return f"{stamp} {self._body_line(spec, index - _PREAMBLE_LEN + 1)}"

    def finished_log(self, spec: JobSpec, ctx: LogContext) -> tuple[str, ...]:
        """The whole stored log of a finished job (the same for every call)."""
        cached = self._finished.get(spec.id)
        if cached is None:
            cached = self._build_finished(spec, ctx)
            self._finished[spec.id] = cached
        return cached

    def _preamble(self, spec: JobSpec, ctx: LogContext, *, live: bool) -> list[str]:
        """The opening lines; a finished job's log has no SSH or dashboard line (nodes are gone)."""
        cells = 4_000_000 + int(12_000_000 * self.unit("cells", spec.id))
        lines = [
            f"fluxsolve 7.4.2 (build {int(self.unit('build') * 16**7):07x})",
            f"job {spec.id} '{spec.name}' on {len(spec.nodes)} nodes x {spec.cores} cores",
            f"nodes: {' '.join(spec.nodes)}",
            f"SSH: {ctx.user}@127.0.0.1 port {ctx.ssh_port}",
            f"reading mesh {spec.name}.msh: {cells:,} cells",
            f"partitioning mesh into {len(spec.nodes) * spec.cores} domains (METIS)",
            f"partition imbalance {1 + 3 * self.unit('imb', spec.id):.1f}%",
            f"server listening on port {ctx.http_port}",
            _MODELS[spec.case],
            f"time step {1e-4 * (1 + self.unit('dt', spec.id)):.2e} s, CFL 0.8",
            "initialising flow field",
            "starting iterations",
        ]
        if not live:
            del lines[HTTP_LINE_INDEX], lines[SSH_LINE_INDEX]
        return lines

    def _residual(self, spec: JobSpec, it: int) -> float:
        decade = (600 if spec.case == "sweep" else 900) + 400 * self.unit("decade", spec.id)
        noise = 1 + 0.3 * (self.unit("noise", spec.id, it) - 0.5)
        return max(2e-9, 0.12 * 10 ** (-it / decade)) * noise

    def _body_line(self, spec: JobSpec, it: int) -> str:
        if it % 100 == 0:
            size = 0.8 + 2.4 * self.unit("chk", spec.id)
            return f"writing checkpoint chk_{it:06d}.h5 ({size:.1f} GB)"
        roll = self.unit("kind", spec.id, it)
        if roll < 0.025:
            return _WARNINGS[int(roll * 1000) % len(_WARNINGS)].format(
                it=it, rank=1 + int(self.unit("rank", spec.id, it) * 140)
            )
        res = self._residual(spec, it)
        secs = 0.45 + 0.1 * self.unit("secs", spec.id, it)
        return f"iter {it:6d}  residual {res:.3e}  {secs:.2f} s/iter"

    def _build_finished(self, spec: JobSpec, ctx: LogContext) -> tuple[str, ...]:
        assert spec.ends_at is not None
        failed = spec.final_state is JobState.FAILED
        total = 58 if failed else 320
        step = (spec.ends_at - spec.runs_at) / total
        tail = (
            [
                "ERROR: negative cell volume in 12 cells near surface 'flap_te'",
                "ERROR: mesh quality check failed (min orthogonality 0.02 < 0.05)",
                "mesher aborted; see mesh-prep.err for the failing cells",
                "Job failed (exit code 1)",
            ]
            if failed
            else [
                f"converged: residual {self._residual(spec, 16 * total):.2e} below 1.0e-06",
                "writing results results_final.h5 (3.4 GB)",
                f"wall time {_duration(spec.ends_at - spec.runs_at)}",
                "Job completed successfully (exit code 0)",
            ]
        )
        head = list(self._preamble(spec, ctx, live=False))
        body_len = total - len(head) - len(tail)
        if failed:
            body = [
                f"refining region {i % 7} level {1 + i % 3}: {1000 + 97 * i:,} cells"
                for i in range(body_len)
            ]
        else:
            body = [self._body_line(spec, 16 * i + 1) for i in range(body_len)]
        text = [*head, *body, *tail]
        return tuple(f"{ctx.stamp(spec.runs_at + i * step)} {line}" for i, line in enumerate(text))


_PREAMBLE_LEN = 12

_MODELS = {
    "cfd": "turbulence model: k-omega SST",
    "md": "force field: CHARMM36m, PME electrostatics",
    "sweep": "parameter sweep: 17 of 24, angle of attack 6.5 deg",
    "mesh": "mesher: snappy refinement, 4 levels",
}

_WARNINGS = (
    "WARNING: iter {it}: CFL 1.12 > 1.0 in 3 cells, local time step reduced",
    "WARNING: iter {it}: rank {rank} is slow (1.4x mean iteration time)",
    "WARNING: iter {it}: linear solver hit 50 iterations without converging",
)


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
