"""The numeric options of a `[providers.NAME]` section with `type = "rescale"`, range-checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.core.errors import ConfigError
from tui.core.providers.problems import Problems, missing_key_file
from tui.core.providers.rescale.support import check_base_url

_RANGES: Mapping[str, tuple[float, float, float]] = {
    "poll_interval": (10, 0, 3600),
    "tail_interval": (5, 1, 3600),
    "tail_lines": (500, 10, 2000),
    "timeout": (20, 1, 600),
    "retries": (4, 0, 10),
}
"""option -> (default, lowest, highest)."""


@dataclass(frozen=True)
class Tuning:
    """How often and how hard the provider asks Rescale."""

    poll_interval: float
    tail_interval: float
    tail_lines: int
    timeout: float
    retries: int


def read_tuning(options: Mapping[str, Any]) -> Tuning:
    """The numbers of `options`, a valid `base_url`, an existing `ssh_key`; raises every problem."""
    problems = Problems()
    values: dict[str, float] = {}
    for key, (default, low, high) in _RANGES.items():
        value = float(options.get(key, default))
        if not low <= value <= high:
            problems.add(f"{key} must be between {low:g} and {high:g} (got {value:g})")
            value = default
        values[key] = value
    if options.get("base_url"):
        try:
            check_base_url(str(options["base_url"]))
        except ConfigError as exc:
            problems.add(exc)
    missing = missing_key_file("ssh_key", options.get("ssh_key"))
    if missing:
        problems.add(missing)
    problems.raise_any()
    return Tuning(
        poll_interval=values["poll_interval"],
        tail_interval=values["tail_interval"],
        tail_lines=int(values["tail_lines"]),
        timeout=values["timeout"],
        retries=int(values["retries"]),
    )
