"""The `[watch]` (node metrics) and `[notify]` (notifications) sections of the config file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

MetricsMode = Literal["auto", "on", "off"]
DesktopChannel = Literal["auto", "notify-send", "osc777", "osc9", "bell", "off"]

NOTICE_KINDS = ("started", "completed", "failed", "time", "pattern", "tunnel")
"""What can be notified: job started, completed, failed, time left, a log pattern, a tunnel."""
DESKTOP_CHANNELS = ("auto", "notify-send", "osc777", "osc9", "bell", "off")
MAX_PATTERNS = 50
MAX_PATTERN_LENGTH = 200


@dataclass(frozen=True)
class WatchSettings:
    """Per-node metrics of the highlighted job (`[watch]`)."""

    metrics: MetricsMode = "auto"
    """auto: sample up to `max_nodes` nodes; on: any number; off: only nodes asked for (m)."""
    max_nodes: int = 64
    interval: int = 2
    """Seconds between two samples of a node."""
    history: int = 300
    """Seconds of samples kept per node (sparklines, the node detail)."""
    nvidia_smi: str = "nvidia-smi"
    """The nvidia-smi command on the nodes (a name on their PATH, or a full path)."""

    @property
    def history_samples(self) -> int:
        return max(2, self.history // self.interval)


@dataclass(frozen=True)
class NotifySettings:
    """What is notified and where (`[notify]`)."""

    events: tuple[str, ...] = NOTICE_KINDS
    patterns: tuple[str, ...] = ()
    """Plain text (case-sensitive) that makes a log line a notification."""
    toast: bool = True
    """Show notifications inside the app."""
    desktop: DesktopChannel = "auto"


_Check = Callable[[Any], str | None]


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _int(low: int, high: int) -> _Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be a whole number from {low} to {high}"
        return None

    return check


def _choice(*choices: str) -> _Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _command(value: Any) -> str | None:
    if not isinstance(value, str) or not value or any(c.isspace() or ord(c) < 32 for c in value):
        return "must be a command name or path without spaces"
    return None


def _events(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of event names ({', '.join(NOTICE_KINDS)})"
    unknown = [v for v in value if v not in NOTICE_KINDS]
    if unknown:
        return f"has unknown event {unknown[0]!r}; events are {', '.join(NOTICE_KINDS)}"
    return None


def _patterns(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return 'must be a list of non-empty strings, such as ["NaN", "Traceback"]'
    if len(value) > MAX_PATTERNS:
        return f"may hold at most {MAX_PATTERNS} patterns"
    if any(len(v) > MAX_PATTERN_LENGTH or "\n" in v for v in value):
        return f"patterns are one line of at most {MAX_PATTERN_LENGTH} characters"
    return None


WATCH_CHECKS: Mapping[str, _Check] = {
    "metrics": _choice("auto", "on", "off"),
    "max_nodes": _int(1, 100_000),
    "interval": _int(1, 60),
    "history": _int(30, 3600),
    "nvidia_smi": _command,
}
NOTIFY_CHECKS: Mapping[str, _Check] = {
    "events": _events,
    "patterns": _patterns,
    "toast": _bool,
    "desktop": _choice(*DESKTOP_CHANNELS),
}


def watch_settings(section: Mapping[str, Any]) -> WatchSettings:
    """`[watch]`, already checked with `WATCH_CHECKS`."""
    return WatchSettings(
        metrics=section.get("metrics", "auto"),
        max_nodes=section.get("max_nodes", 64),
        interval=section.get("interval", 2),
        history=section.get("history", 300),
        nvidia_smi=section.get("nvidia_smi", "nvidia-smi"),
    )


def notify_settings(section: Mapping[str, Any]) -> NotifySettings:
    """`[notify]`, already checked with `NOTIFY_CHECKS`."""
    return NotifySettings(
        events=tuple(section.get("events", NOTICE_KINDS)),
        patterns=tuple(section.get("patterns", ())),
        toast=section.get("toast", True),
        desktop=section.get("desktop", "auto"),
    )
