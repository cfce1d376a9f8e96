"""The demo script: a pure, seeded timeline of jobs, loads and log lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tui.core.models import JobState, NodeState
from tui.core.providers.demo.script import (
    HTTP_LINE_INDEX,
    LINE_INTERVAL,
    SSH_LINE_INDEX,
    DemoScript,
    JobSpec,
    LogContext,
)

CTX = LogContext(
    user="alice", ssh_port=40022, http_port=40080, epoch=datetime(2026, 11, 24, 12, tzinfo=UTC)
)


def by_name(script: DemoScript, name: str) -> JobSpec:
    return next(spec for spec in script.jobs if spec.name == name)


def residual(line: str) -> float:
    match = re.search(r"residual (\S+)", line)
    assert match, line
    return float(match.group(1))


def test_same_seed_gives_the_same_jobs_loads_and_lines() -> None:
    one, two = DemoScript(seed=7), DemoScript(seed=7)
    assert one.jobs == two.jobs
    for spec in one.jobs:
        for t in (-1.0, 0.0, 19.0, 25.0, 31.5, 600.0):
            assert one.state_at(spec, t) == two.state_at(spec, t)
            assert [one.load_at(spec, i, t) for i in range(len(spec.nodes))] == [
                two.load_at(spec, i, t) for i in range(len(spec.nodes))
            ]
        if spec.is_live:
            assert one.lines(spec, 0, 400, CTX) == two.lines(spec, 0, 400, CTX)
        else:
            assert one.finished_log(spec, CTX) == two.finished_log(spec, CTX)


def test_a_different_seed_gives_different_lines_and_loads() -> None:
    one, other = DemoScript(seed=1), DemoScript(seed=2)
    spec = by_name(one, "cfd-wing")
    assert one.lines(spec, 0, 200, CTX) != other.lines(spec, 0, 200, CTX)
    assert [one.load_at(spec, 0, t) for t in range(0, 60, 2)] != [
        other.load_at(spec, 0, t) for t in range(0, 60, 2)
    ]


def test_the_queued_job_starts_then_runs_on_two_nodes() -> None:
    script = DemoScript()
    spec = by_name(script, "md-run")
    assert len(spec.nodes) == 2
    assert script.state_at(spec, 0) is JobState.QUEUED
    assert script.node_state_at(spec, 19.9) is NodeState.PENDING
    assert script.state_at(spec, 20) is JobState.STARTING
    assert script.state_at(spec, 29.9) is JobState.STARTING
    assert script.state_at(spec, 30) is JobState.RUNNING
    assert script.next_event(0) == 20
    assert script.next_event(20) == 30
    assert script.next_event(30) is None


def test_the_running_and_finished_jobs() -> None:
    script = DemoScript()
    wing = by_name(script, "cfd-wing")
    assert wing.nodes == ("master-0", "worker-1", "worker-2", "worker-3")
    assert script.state_at(wing, 0) is JobState.RUNNING
    assert script.lines_due(wing, 0) > 0  # it has been running since before the demo began
    sweep = by_name(script, "sweep-17")
    assert script.state_at(sweep, 0) is JobState.COMPLETED
    assert script.node_state_at(sweep, 0) is NodeState.STOPPED
    assert script.load_at(sweep, 0, 0) is None
    mesh = by_name(script, "mesh-prep")
    assert script.state_at(mesh, 0) is JobState.FAILED


def test_lines_fall_due_one_per_interval() -> None:
    script = DemoScript()
    spec = by_name(script, "md-run")
    assert script.lines_due(spec, spec.runs_at - 0.01) == 0
    for index in (0, 1, 17, 1000):
        at = script.line_time(spec, index)
        assert script.lines_due(spec, at) == index + 1
        assert script.lines_due(spec, at - LINE_INTERVAL / 10) == index
    assert [script.live_line(spec, i, CTX) for i in range(5, 9)] == list(
        script.lines(spec, 5, 9, CTX)
    )


def test_live_log_has_ssh_and_dashboard_lines_and_timestamps() -> None:
    script = DemoScript()
    spec = by_name(script, "md-run")
    ssh = script.live_line(spec, SSH_LINE_INDEX, CTX)
    assert ssh.endswith("SSH: alice@127.0.0.1 port 40022")
    assert script.live_line(spec, HTTP_LINE_INDEX, CTX).endswith("server listening on port 40080")
    # md-run runs at demo second 30, so its first line is stamped 12:00:30 on the clock.
    assert script.live_line(spec, 0, CTX).startswith("12:00:30 ")
    assert script.live_line(spec, 2, CTX).startswith("12:00:31 ")
    fast = LogContext("alice", 1, 2, CTX.epoch, speed=2.0)
    assert script.live_line(spec, 0, fast).startswith("12:00:15 ")


def test_residuals_fall_and_warnings_appear() -> None:
    script = DemoScript()
    spec = by_name(script, "cfd-wing")
    lines = script.lines(spec, 0, 3000, CTX)
    iters = [line for line in lines if " iter " in line and "residual" in line]
    early = sum(map(residual, iters[:50])) / 50
    late = sum(map(residual, iters[-50:])) / 50
    assert late < early / 10
    assert any("WARNING" in line for line in lines)
    assert any("writing checkpoint" in line for line in lines)


@pytest.mark.parametrize(
    ("name", "last", "lo", "hi"),
    [
        ("sweep-17", "Job completed successfully (exit code 0)", 200, 500),
        ("mesh-prep", "Job failed (exit code 1)", 20, 200),
    ],
)
def test_finished_logs_are_fixed_and_end_with_the_outcome(
    name: str, last: str, lo: int, hi: int
) -> None:
    script = DemoScript()
    spec = by_name(script, name)
    log = script.finished_log(spec, CTX)
    assert lo <= len(log) <= hi
    assert log[-1].endswith(last)
    assert not any("SSH:" in line or "listening on port" in line for line in log)
    assert log is script.finished_log(spec, CTX)
