"""The numeric options of a `[providers.NAME]` section with `type = "rescale"`, range-checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.core.errors import ConfigError
from tui.core.providers.base import Option
from tui.core.providers.problems import Problems, missing_key_file
from tui.core.providers.rescale.api import REGIONS
from tui.core.providers.rescale.support import check_base_url

OPTIONS: Mapping[str, Option] = {
    "region": Option(
        str, help="Rescale platform: platform (US), eu, jp, kr or itar", choices=tuple(REGIONS)
    ),
    "base_url": Option(str, help="API host, overrides region, e.g. https://eu.rescale.com"),
    "api_key_file": Option(str, help="file holding only the API key, mode 0600"),
    "profile": Option(str, help="profile of ~/.config/rescale/apiconfig (default: default)"),
    "ssh_key": Option(
        str,
        help="private key for SSH to job nodes (its public half is in Rescale's Job Settings)",
    ),
    "poll_interval": Option((int, float), help="seconds between job list refreshes (10)"),
    "tail_interval": Option((int, float), help="seconds between live log polls (5)"),
    "tail_lines": Option(int, help="lines per live log poll, 10 to 2000 (500)"),
    "timeout": Option((int, float), help="seconds per API request (20)"),
    "retries": Option(int, help="retries of a failed GET, 0 to 10 (4)"),
}
"""The keys of a rescale provider section (besides `type`), with their help."""

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
