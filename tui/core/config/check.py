"""`config check`'s engine: every problem of a config file, not only the first.

It runs the real validator (`tui.core.config.settings.parse_settings`), and after each error
blanks the statement or section at fault (keeping line numbers) and runs it again. TOML syntax
errors are found the same way with tomllib. Then each provider that passed is built with its
class's `create()` to catch semantic errors (a missing key file, a bad inventory entry, an
unreadable SSH config Include...).
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.clock import SystemClock
from tui.core.config.names import unknown_names
from tui.core.config.providers import ProviderConfig, explain_toml_error
from tui.core.config.settings import Settings, parse_settings, toml_lines
from tui.core.errors import ConfigError
from tui.core.providers.base import ProviderContext, provider_class

MAX_PROBLEMS = 50
MAX_ROUNDS = 200
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]*?)\s*\]\]?")
_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_STATEMENT = re.compile(rf"^\s*{_KEY}(?:\s*\.\s*{_KEY})*\s*=")
_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")


@dataclass
class CheckReport:
    """What `check_text` found."""

    problems: list[ConfigError] = field(default_factory=list)
    settings: Settings | None = None
    """The settings of the repaired text (what loads once the problems are gone)."""
    stopped: bool = False
    """True when a problem could not be stepped over, so later ones may be unreported."""


def check_text(
    text: str,
    where: str,
    *,
    state_dir: Path | None = None,
    binding_ids: Collection[str] | None = None,
    themes: Collection[str] | None = None,
) -> CheckReport:
    """Every problem of the config `text` (from file `where`), each with its line.

    With `binding_ids` and `themes` (the app's), `[keys]` ids and the theme are checked too.
    """
    report = CheckReport()
    lines = toml_lines(text)
    broken: set[str] = set()
    blanked: set[tuple[str, str]] = set()
    seen: set[str] = set()
    keys_out: dict[str, set[str]] = {}  # provider -> its keys blanked for a bad value
    reshaped: set[str] = set()  # providers that lost more than keys (a syntax error, a table)

    def add(error: ConfigError) -> None:
        if str(error) not in seen:
            seen.add(str(error))
            report.problems.append(error)

    for _ in range(MAX_ROUNDS):
        if len(report.problems) >= MAX_PROBLEMS:
            break
        before = list(lines)
        syntax = _syntax_error(lines, where)
        if syntax is not None:
            error, start, end = syntax
            add(error)
            if "twice" not in error.message or not _HEADER.match(lines[start - 1]):
                had = set(broken)
                _mark_broken(lines, start, broken)  # a repeated section leaves the first intact
                reshaped |= broken - had
            _blank(lines, start, end)
        else:
            try:
                report.settings = parse_settings(
                    "\n".join(lines) + "\n", where, state_dir=state_dir
                )
                break
            except ConfigError as exc:
                number = exc.line
                if number is None or not 1 <= number <= len(lines):
                    add(exc)
                    break
                table = _table_at(lines, number)
                missing = re.search(r"missing the required key `([^`]+)`", exc.message)
                if not (missing and (table, missing.group(1)) in blanked):
                    add(exc)
                _mark_broken(lines, number, broken)
                start, end = _span(lines, number)
                key = _STATEMENT.match(lines[number - 1])
                name = key.group(0).rstrip("=").strip() if key else ""
                blanked.add((table, name))
                _note_blanked(table, name, keys_out, reshaped)
                if name == "type" and table.startswith("providers."):
                    start, end = _span(lines, _header_of(lines, number))  # the whole provider
                _blank(lines, start, end)
        if lines == before:
            break  # nothing left to step over
    report.stopped = report.settings is None
    if report.settings is not None:
        for provider in report.settings.providers:
            # A section repaired by blanking bad values is still built, but problems about the
            # keys blanked (follow-ons) are left out; one that lost more is not built.
            if provider.name in reshaped:
                continue
            skip = frozenset(keys_out.get(provider.name, ()))
            for problem in _create_problems(provider, lines, where, state_dir, skip):
                add(problem)
        if binding_ids is not None and themes is not None:
            for problem in unknown_names(
                report.settings, binding_ids=binding_ids, themes=themes, text="\n".join(lines)
            ):
                add(problem)
    report.problems.sort(key=lambda e: e.line or 0)
    return report


def _header_of(lines: Sequence[str], number: int) -> int:
    """The line of the header of the table that line `number` is in."""
    for index in range(number - 1, -1, -1):
        if _HEADER.match(lines[index]):
            return index + 1
    return number


def _syntax_error(lines: list[str], where: str) -> tuple[ConfigError, int, int] | None:
    """The first TOML syntax error: (error, first line, last line of the statement at fault)."""
    try:
        tomllib.loads("\n".join(lines) + "\n")
        return None
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_AT.search(str(exc))
        reason = _TOML_AT.sub("", str(exc))
        at = int(found.group(1)) if found and found.group(1) else len(lines)
    at = max(1, min(at, len(lines)))
    start = at
    while start > 1 and not _parses(lines[: start - 1]):
        start -= 1  # back to the statement that is still open at line `at`
    while start < at and (not lines[start - 1].strip() or lines[start - 1].lstrip()[:1] == "#"):
        start += 1
    end = at - 1 if start < at and _is_header(lines[at - 1]) else at
    if _is_header(lines[start - 1]):
        end = _table_end(lines, start)
    else:
        while end < len(lines) and not _starts(lines[end]):
            end += 1
    message = explain_toml_error(reason, lines, at) or (
        f"not valid TOML: {reason}"
        + (
            f" at line {at}, in the value that starts here (a missing ] or }}?)"
            if start < at
            else ""
        )
        + "; fix the syntax on this line"
    )
    return ConfigError(message, path=where, line=start), start, end


def _parses(lines: Sequence[str]) -> bool:
    try:
        tomllib.loads("\n".join(lines) + "\n")
    except tomllib.TOMLDecodeError:
        return False
    return True


def _starts(line: str) -> bool:
    """True for a line that starts a statement or a table (a continuation line is neither)."""
    return bool(_STATEMENT.match(line) or _is_header(line))


def _is_header(line: str) -> bool:
    """A table header, or a broken one (`[` in the first column)."""
    return bool(_HEADER.match(line)) or line.startswith("[")


def _table_at(lines: Sequence[str], number: int) -> str:
    """The name of the table line `number` is in ("" before the first header)."""
    for index in range(number - 1, -1, -1):
        match = _HEADER.match(lines[index])
        if match:
            return match.group(1).replace(" ", "")
    return ""


def _table_end(lines: Sequence[str], start: int) -> int:
    """The last line of the table whose header is line `start`, its sub-tables included."""
    header = _HEADER.match(lines[start - 1])
    name = header.group(1).replace(" ", "") if header else ""
    end = start
    for index in range(start, len(lines)):
        match = _HEADER.match(lines[index])
        if _is_header(lines[index]) and not (
            match and match.group(1).replace(" ", "").startswith(f"{name}.")
        ):
            break
        end = index + 1
    return end


def _span(lines: Sequence[str], number: int) -> tuple[int, int]:
    """The lines of the statement or table at line `number` (a valid statement)."""
    if _HEADER.match(lines[number - 1]):
        return number, _table_end(lines, number)
    for end in range(number, len(lines) + 1):
        if end > number and _starts(lines[end - 1]):
            break
        if _parses(lines[number - 1 : end]):
            return number, end
    return number, number


def _blank(lines: list[str], start: int, end: int) -> None:
    for index in range(start - 1, min(end, len(lines))):
        lines[index] = ""


def _mark_broken(lines: Sequence[str], number: int, broken: set[str]) -> None:
    """Remember the provider whose section line `number` is in: it is not built later."""
    table = _table_at(lines, number)
    parts = table.split(".")
    if parts[0] == "providers":
        if len(parts) > 1:
            broken.add(parts[1].strip("\"'"))
        else:
            key = _STATEMENT.match(lines[number - 1])
            if key:
                broken.add(key.group(0).rstrip("=").strip().strip("\"'"))


def _note_blanked(table: str, name: str, keys_out: dict[str, set[str]], reshaped: set[str]) -> None:
    """Record what blanking statement `name` of `table` took from a provider."""
    parts = table.split(".")
    if parts[0] != "providers":
        return
    if len(parts) == 2 and name and name != "type":
        keys_out.setdefault(parts[1].strip("\"'"), set()).add(name.strip("\"'"))
    elif len(parts) > 1:
        reshaped.add(parts[1].strip("\"'"))  # its header, its type or a sub-table
    elif name:
        reshaped.add(name.strip("\"'"))  # `providers.NAME = ...` under [providers]


def _mentions(error: ConfigError, keys: frozenset[str]) -> bool:
    """True when `error` is about one of `keys` (named in backticks, first or in its trail)."""
    trail = {str(step).split("=", 1)[0] for step in getattr(error, "trail", ())}
    text = re.sub(r"^\[providers\.[^\]]*\]:?\s*", "", error.message)
    return any(
        re.search(rf"`{re.escape(k)}\b", text) or text.startswith(f"{k} ") or k in trail
        for k in keys
    )


def _create_problems(
    provider: ProviderConfig,
    lines: Sequence[str],
    where: str,
    state_dir: Path | None,
    skip: frozenset[str] = frozenset(),
) -> list[ConfigError]:
    """Build the provider as the app would; its errors (or crash) as problems.

    With `skip` (keys blanked for a bad value), only errors found on a line of their own and
    not about those keys are returned.
    """
    with tempfile.TemporaryDirectory(prefix="clusterdeck-check-") as scratch:
        state = state_dir or Path(scratch)
        context = ProviderContext(state, state / "known_hosts", SystemClock(), provider.name)
        try:
            provider_class(provider.type).create(provider.options, context)
        except ConfigError as exc:
            errors: Sequence[ConfigError] = getattr(exc, "errors", None) or (exc,)
            prefix = re.compile(rf"^\[providers\.{re.escape(provider.name)}\]:?\s*")
            located = [(error, _locate(provider, error, lines)) for error in errors]
            return [
                ConfigError(
                    f"[providers.{provider.name}] {prefix.sub('', error.message)}",
                    path=where,
                    line=line or provider.line,
                )
                for error, line in located
                if not skip or (line is not None and not _mentions(error, skip))
            ]
        except Exception as exc:  # a third-party provider may fail any way
            if skip:
                return []
            message = f"could not be set up: {exc} ({type(exc).__name__}); fix this section"
            return [
                ConfigError(
                    f"[providers.{provider.name}] {message}", path=where, line=provider.line
                )
            ]
    return []


def error_line(provider: ProviderConfig, exc: ConfigError, text: str) -> int | None:
    """The line of `text` an error from `provider`'s `create()` is about, as `config check`
    reports it (the app's start-up uses it too), else the provider's header line."""
    return _locate(provider, exc, text.splitlines()) or provider.line


def _locate(provider: ProviderConfig, exc: ConfigError, lines: Sequence[str]) -> int | None:
    """The line an error from `create()` is about: follow its `trail`, else a key it names.

    Steps are looked for one after the other in the provider's own tables (wherever they are
    in the file); a step not found stops the search at the last one found.
    """
    trail: tuple[str, ...] = tuple(getattr(exc, "trail", ()))
    if not trail:
        options = provider_class(provider.type).OPTIONS
        named = [k for k in options if f"`{k}`" in exc.message or exc.message.startswith(f"{k} ")]
        trail = tuple(named[:1])
    own = _provider_lines(lines, provider.name)
    found = None
    position = 0
    for number, step in enumerate(trail):
        pattern = _step_pattern(step)
        first = position + 1 if number and trail[number - 1] == step else position  # a repeat
        hit = next((i for i in range(first, len(own)) if pattern.search(lines[own[i] - 1])), None)
        if hit is None:
            break
        position, found = hit, own[hit]
    return found


def _provider_lines(lines: Sequence[str], name: str) -> list[int]:
    """The numbers of the lines in `[providers.NAME]` and its sub-tables, in file order."""
    mine = False
    own = []
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(1).replace(" ", "")
            mine = table == f"providers.{name}" or table.startswith(f"providers.{name}.")
        if mine:
            own.append(number)
    return own


def _step_pattern(step: str) -> re.Pattern[str]:
    """A regex for one trail step: `key`, `key="value"` or `"value"`."""
    pair = re.fullmatch(r'(\w+)="(.*)"', step)
    if pair:
        key, value = pair.groups()
        return re.compile(rf"\b{key}\s*=\s*[\"']{re.escape(value)}[\"']")
    if step.startswith('"'):
        return re.compile(rf"[\"']{re.escape(step.strip(chr(34)))}[\"']")
    return re.compile(rf"(?:^|[\s{{,])\s*{re.escape(step)}\s*=|\.{re.escape(step)}\s*\]\]?\s*$")
