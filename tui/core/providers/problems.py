"""Collecting every config problem of one provider section, so `config check` lists them all.

A provider's `create()` (or constructor) adds each problem to a `Problems` and raises at the
end: one error stands for all of them, and its `errors` lists each one for `config check`
(start-up shows the first and says how many more there are).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.core.errors import ConfigError


class ConfigProblems(ConfigError):
    """Several problems of one section; `errors` holds each, the first one first."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        more = len(errors) - 1
        plural = "s" if more != 1 else ""
        note = f" (and {more} more problem{plural}: see `clusterdeck config check`)"
        super().__init__(errors[0].message + (note if more else ""))
        self.errors = tuple(errors)


class Problems:
    """The problems found so far in one section."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def add(self, problem: str | ConfigError) -> None:
        """Remember a problem (a message, or an error raised by a check)."""
        self.found.append(problem if isinstance(problem, ConfigError) else ConfigError(problem))

    def raise_any(self) -> None:
        """Raise the problem found (or all of them as one `ConfigProblems`), if any."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ConfigProblems(self.found)


def missing_key_file(option: str, raw: object) -> str | None:
    """The problem with a private key option (`key`, `ssh_key`) naming no file, else None."""
    if not raw:
        return None
    path = Path(str(raw)).expanduser()
    if path.is_file():
        return None
    return (
        f"`{option}` {path} is not a file; fix the path or make a key with "
        f"`ssh-keygen -t ed25519 -f {raw}`"
    )
