"""The `[providers.NAME]` sections of the config: each names a provider type and its options."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.errors import ConfigError
from tui.providers.base import Option, provider_class

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
        options = {k: v for k, v in body.items() if k != "type"}
        for key, value in options.items():
            spec = options_spec.get(key)
            if spec is None:
                known = ", ".join(sorted(options_spec)) or "none"
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
        result.append(ProviderConfig(name, kind, options, header_line(table)))
    return tuple(result)
