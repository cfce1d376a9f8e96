"""Job notifications: each event once, patterns once per line, inert text on every channel."""

from __future__ import annotations

import dataclasses

import pytest

from tui.core.clock import ManualClock
from tui.core.config.settings import parse_settings
from tui.core.config.watching import NotifySettings
from tui.core.errors import ConfigError
from tui.core.models import Job, JobState
from tui.core.watch.desktop import choose_channel, notify_send_argv, osc9, osc777
from tui.core.watch.events import JobsUpdated, LogLines, LogStarted, TimeLimitNear
from tui.core.watch.notices import PATTERN_BURST, JobNotifier, Notice

HOSTILE = "x\x1b]0;x\x07\x1b[2J"


def make(**settings: object) -> tuple[JobNotifier, list[Notice], ManualClock]:
    clock = ManualClock()
    got: list[Notice] = []
    notifier = JobNotifier(
        NotifySettings(**settings),  # type: ignore[arg-type]
        clock=clock,
        deliver=got.append,
    )
    return notifier, got, clock


def listing(clock: ManualClock, *jobs: Job) -> JobsUpdated:
    return JobsUpdated(tuple(jobs), clock.now())


JOB = Job("42", "train", JobState.QUEUED, provider="hpc", node_count=2)


def test_each_transition_is_noticed_once_not_once_per_poll() -> None:
    notifier, got, clock = make()
    running = dataclasses.replace(JOB, state=JobState.RUNNING)
    failed = dataclasses.replace(JOB, state=JobState.FAILED, status_detail="failed · exit 3")
    for jobs in [(JOB,), (JOB,), (running,), (running,), (running,), (failed,), (failed,)]:
        notifier.on_event(listing(clock, *jobs))
    assert [(n.kind, n.title, n.message) for n in got] == [
        ("started", "train started", "train is running on 2 nodes"),
        ("failed", "train failed", "failed · exit 3"),
    ]
    assert got[1].severity == "error"
    assert list(notifier.history) == got


def test_the_first_listing_is_not_news_and_a_vanished_job_is() -> None:
    notifier, got, clock = make()
    running = dataclasses.replace(JOB, state=JobState.RUNNING)
    notifier.on_event(listing(clock, running))
    assert got == []
    notifier.on_event(listing(clock))
    notifier.on_event(listing(clock))
    assert [(n.kind, n.title) for n in got] == [("completed", "train left the queue")]


def test_patterns_notify_once_per_line_and_not_again_on_a_replay() -> None:
    notifier, got, _ = make(patterns=("NaN", "Traceback"))
    lines = ("step 1 loss 0.3", "step 2 loss NaN", "Traceback (most recent call last):", "ok")
    notifier.on_event(LogStarted(JOB))
    notifier.on_event(LogLines(JOB, ("NaN in the past",), 1))  # the backlog: history only
    notifier.on_event(LogLines(JOB, lines, 5))
    assert [(n.message, n.loud) for n in got] == [
        ("NaN in the past", False),
        (lines[1], True),
        (lines[2], True),
    ]
    got.clear()
    notifier.on_event(LogStarted(JOB))  # the job selected again: its log is shown from the start
    notifier.on_event(LogLines(JOB, ("NaN in the past",), 1))
    notifier.on_event(LogLines(JOB, lines, 5))
    notifier.on_event(LogLines(JOB, ("NaN again",), 6))
    assert [n.message for n in got] == ["NaN again"]  # the replayed lines: not again


def test_a_burst_of_matches_goes_quiet_into_the_history() -> None:
    notifier, got, clock = make(patterns=("NaN",))
    notifier.on_event(LogStarted(JOB))
    notifier.on_event(LogLines(JOB, ("start",), 1))
    notifier.on_event(LogLines(JOB, tuple(f"NaN {i}" for i in range(12)), 13))
    assert sum(n.loud for n in got) == PATTERN_BURST and len(got) == 12
    clock.advance(60)
    notifier.on_event(LogLines(JOB, ("NaN later",), 13))
    assert got[-1].loud


def test_events_not_chosen_are_not_noticed() -> None:
    notifier, got, _ = make(events=("failed",))
    notifier.on_event(TimeLimitNear(JOB, "6 min left"))
    notifier.tunnel_failed("jupyter", "refused")
    assert got == []


def test_remote_text_is_inert_in_the_notice() -> None:
    notifier, got, clock = make()
    hostile = dataclasses.replace(JOB, name=HOSTILE)
    notifier.on_event(listing(clock, hostile))
    notifier.on_event(listing(clock, dataclasses.replace(hostile, state=JobState.RUNNING)))
    (notice,) = got
    assert "\x1b" not in notice.title + notice.message and "\x07" not in notice.message
    assert notice.title == "x\\x1b]0;x\\x07\\x1b[2J started"


@pytest.mark.parametrize("build", [osc777, osc9])
def test_the_osc_payload_is_inert(build: object) -> None:
    assert callable(build)
    sequence = build(HOSTILE, f"body {HOSTILE}; more")
    assert sequence.startswith("\x1b]") and sequence.endswith("\x07")
    inner = sequence[2:-1]
    assert all(0x20 <= ord(c) < 0x7F for c in inner), inner  # no ESC, BEL or C1 inside
    if build is osc777:
        assert inner.count(";") == 3  # 777;notify;title;body: the text adds no field
    assert "\\x1b]0" in inner


def test_notify_send_gets_plain_escaped_arguments() -> None:
    argv = notify_send_argv("-title", "<b>a & b</b> \x1b[2J")
    assert argv[:4] == ["notify-send", "--app-name=clusterdeck", "--urgency=normal", "--"]
    assert argv[4] == "-title"
    assert argv[5] == "&lt;b&gt;a &amp; b&lt;/b&gt; \\x1b[2J"


def test_auto_picks_a_channel_this_session_has() -> None:
    desktop = {"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
    assert choose_channel("auto", env=desktop, has_notify_send=True) == "notify-send"
    assert choose_channel("auto", env=desktop, has_notify_send=False) == "bell"
    assert choose_channel("auto", env={"TERM_PROGRAM": "iTerm.app"}, has_notify_send=True) == (
        "osc9"
    )
    assert choose_channel("auto", env={"TERM": "foot"}, has_notify_send=False) == "osc777"
    over_ssh = {**desktop, "SSH_CONNECTION": "1 2 3 4"}
    assert choose_channel("auto", env=over_ssh, has_notify_send=True) == "bell"
    assert choose_channel("osc9", env={}, has_notify_send=False) == "osc9"


def test_notify_and_watch_sections_are_validated_with_their_line() -> None:
    good = parse_settings(
        '[notify]\npatterns = ["NaN", "Traceback", "converged"]\ndesktop = "osc777"\n'
        "[watch]\nmax_nodes = 8\ninterval = 5\n",
        "config.toml",
    )
    assert good.notify.patterns == ("NaN", "Traceback", "converged")
    assert good.notify.desktop == "osc777" and good.watch.max_nodes == 8
    for text, words in [
        ('[notify]\n\ndesktop = "popup"\n', "desktop must be one of auto, notify-send"),
        ('[notify]\n\nevents = ["started", "exploded"]\n', "unknown event 'exploded'"),
        ("[notify]\n\npatterns = [1]\n", "list of non-empty strings"),
        ("[watch]\n\ninterval = 0\n", "whole number from 1 to 60"),
        ('[watch]\n\nmetrics = "sometimes"\n', "one of auto, on, off"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_settings(text, "config.toml")
        assert words in caught.value.message and caught.value.line == 3
