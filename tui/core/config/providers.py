"""The `[providers.NAME]` sections of the config: each names a provider type and its options."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.core.errors import ConfigError
from tui.core.providers.base import Option, provider_class
from tui.core.ssh.persistent import PERSIST_MODES, PersistMode

Fail = Callable[[str, str, str | None], ConfigError]
"""Builds a ConfigError at the line of (message, table, key)."""

_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")


@dataclass(frozen=True)
class ProviderConfig:
    """One configured provider: its section name, type and options (validated)."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None
    """Line of its `[providers.NAME]` header, for errors raised later (at start-up)."""
    persistent: PersistMode | None = None
    """Shells in tmux (`persistent` key): auto, tmux, screen or off; None: not set (auto, but
    off for the demo, whose nodes run on this machine)."""
    persistent_nodes: Mapping[str, PersistMode] = field(default_factory=dict)
    """Node-name patterns (`fnmatch`) -> a mode overriding `persistent` on those nodes."""

    def persist_mode(self, node: str) -> PersistMode:
        """The persistent-shell mode for `node`: the first matching pattern, else `persistent`."""
        for pattern, mode in self.persistent_nodes.items():
            if fnmatch.fnmatchcase(node, pattern):
                return mode
        if self.persistent is not None:
            return self.persistent
        return "off" if self.type == "demo" else "auto"


COMMON_KEYS = ("persistent", "persistent_nodes")
"""Keys every provider section accepts (handled by the app, not given to the provider)."""
_MODES = ", ".join(f'"{m}"' for m in PERSIST_MODES)


def _persistence(
    body: Mapping[str, Any], table: str, fail: Fail
) -> tuple[PersistMode | None, dict[str, PersistMode]]:
    """The section's `persistent` and `persistent_nodes` keys, checked."""
    mode = body.get("persistent")
    if mode is not None and mode not in PERSIST_MODES:
        raise fail(
            f"[{table}] persistent must be one of {_MODES} (shells in tmux; got {mode!r})",
            table,
            "persistent",
        )
    nodes = body.get("persistent_nodes", {})
    if not isinstance(nodes, dict):
        raise fail(
            f'[{table}] persistent_nodes must be a table like {{ "gpu*" = "off" }} '
            f"(node-name pattern = mode; got {nodes!r})",
            table,
            "persistent_nodes",
        )
    for pattern, value in nodes.items():
        if value not in PERSIST_MODES:
            raise fail(
                f"[{table}] persistent_nodes.{pattern} must be one of {_MODES} (got {value!r})",
                table,
                "persistent_nodes",
            )
    return mode, dict(nodes)


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_option(spec: Option, value: Any) -> str | None:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        return f"must be {_type_name(spec.kind)}"
    if spec.choices and value not in spec.choices:
        return f"must be one of {', '.join(spec.choices)}"
    return None


def parse_providers(
    section: Any, fail: Fail, header_line: Callable[[str], int | None]
) -> tuple[ProviderConfig, ...]:
    """Validate the `providers` table: every entry has a known `type` and valid options."""
    if not isinstance(section, dict):
        raise fail("'providers' must hold sections like [providers.mycluster]", "providers", None)
    result = []
    for name, body in section.items():
        table = f"providers.{name}"
        if not _NAME.match(name):
            raise fail(
                f"provider name {name!r} may use letters, digits, '.', '_' and '-'", table, None
            )
        if not isinstance(body, dict):
            raise fail(f"[{table}] must be a section with a `type` key", "providers", name)
        kind = body.get("type")
        if not isinstance(kind, str):
            raise fail(
                f'[{table}] needs `type = "..."` (for example "slurm" or "rescale")',
                table,
                "type" if "type" in body else None,
            )
        try:
            options_spec = provider_class(kind).OPTIONS
        except ConfigError as exc:
            raise fail(f"[{table}] {exc.message}", table, "type") from None
        mode, nodes = _persistence(body, table, fail)
        options = {k: v for k, v in body.items() if k != "type" and k not in COMMON_KEYS}
        for key, value in options.items():
            spec = options_spec.get(key)
            if spec is None:
                known = ", ".join(sorted([*options_spec, *COMMON_KEYS]))
                raise fail(
                    f"unknown key {key!r} for a {kind} provider in [{table}]; known keys: {known}",
                    table,
                    key,
                )
            problem = _check_option(spec, value)
            if problem:
                hint = f" ({spec.help})" if spec.help else ""
                raise fail(f"[{table}] {key} {problem}{hint} (got {value!r})", table, key)
        for key, spec in options_spec.items():
            if spec.required and key not in options:
                hint = f": {spec.help}" if spec.help else ""
                raise fail(f"[{table}] is missing the required key `{key}`{hint}", table, None)
        result.append(ProviderConfig(name, kind, options, header_line(table), mode, nodes))
    return tuple(result)


def providers_array_message(entries: Sequence[Any]) -> str:
    """What to say about `[[providers]]`: the right form, with the first entry's name and type."""
    first = entries[0] if entries and isinstance(entries[0], dict) else {}
    name, kind = first.get("name"), first.get("type")
    kind = kind if isinstance(kind, str) and re.fullmatch(r"[\w.-]+", kind) else "slurm"
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][\w-]*", name):
        example = f"here [providers.{name}] (the name goes in the header, not in a `name` key)"
    else:
        example = "for example [providers.uni]"
    return (
        "[[providers]] is a list of tables, not how providers are written: give each provider "
        f'its own section [providers.NAME] with `type = "..."`; {example} and below it '
        f'type = "{kind}"'
    )


def explain_toml_error(reason: str, lines: Sequence[str], line: int | None) -> str | None:
    """A clearer message for TOML errors that are really naming mistakes, else None.

    tomllib rejects a `[providers.NAME]` (or any table) declared twice and a key set twice in
    one table; these say which name or key, where it was first used, and what to do.
    """
    table = re.match(r"Cannot declare \((.*)\) twice", reason)
    if table:
        parts = [p.strip().strip("'\"") for p in table.group(1).split(",") if p.strip()]
        name = ".".join(parts)
        first = _first_header(lines, name, before=line)
        at = f" (first at line {first})" if first else ""
        if len(parts) == 2 and parts[0] == "providers":
            return (
                f"provider name {parts[1]!r} is used twice{at}; each [providers.NAME] section "
                "needs its own NAME: rename or merge one of them"
            )
        return f"section [{name}] appears twice{at}; merge the two into one"
    if reason.startswith("Cannot overwrite a value") and line is not None and line <= len(lines):
        key = re.match(r"\s*([\w\"'.-]+?)\s*=", lines[line - 1])
        if key:
            return f"`{key.group(1)}` is set twice in the same section; keep only one of them"
    return None


def _first_header(lines: Sequence[str], name: str, *, before: int | None) -> int | None:
    pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
    for number, text in enumerate(lines, start=1):
        if before is not None and number >= before:
            return None
        if pattern.match(text):
            return number
    return None
