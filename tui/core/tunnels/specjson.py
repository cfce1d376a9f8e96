"""A tunnel spec as JSON for `tunnels.json`: every field kept, so new ones survive a round trip."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from tui.core.errors import TunnelError
from tui.core.models import SshTarget
from tui.core.tunnels.model import TunnelKind, TunnelSpec


def target_to_json(target: SshTarget | None) -> dict[str, Any] | None:
    """An SshTarget as plain JSON values (every field, so new ones survive a round trip)."""
    if target is None:
        return None
    data: dict[str, Any] = {}
    for item in fields(target):
        value = getattr(target, item.name)
        if isinstance(value, SshTarget):
            value = target_to_json(value)
        elif isinstance(value, Path):
            value = str(value)
        data[item.name] = value
    return data


def target_from_json(data: Any) -> SshTarget | None:
    """The inverse of `target_to_json` (None for anything malformed)."""
    if not isinstance(data, dict) or not isinstance(data.get("host"), str):
        return None
    values: dict[str, Any] = {}
    for item in fields(SshTarget):
        if item.name not in data:
            continue
        value = data[item.name]
        if item.name == "jump":
            value = target_from_json(value)
        elif item.name == "key_path":
            value = Path(value) if isinstance(value, str) else None
        elif item.name == "port":
            value = int(value)
        values[item.name] = value
    return SshTarget(**values)


_SPEC_FIELDS = (
    "node",
    "remote_port",
    "remote_host",
    "local_port",
    "bind_address",
    "name",
    "job_key",
    "job_name",
    "preset",
    "scheme",
    "url_path",
)


def spec_to_json(spec: TunnelSpec, *, bound_port: int = 0) -> dict[str, Any]:
    """A spec as plain JSON values; `bound_port` remembers the port a "0 = any" tunnel got."""
    data: dict[str, Any] = {name: getattr(spec, name) for name in _SPEC_FIELDS}
    data["kind"] = spec.kind.value
    data["target"] = target_to_json(spec.target)
    data["bound_port"] = bound_port
    return data


def spec_from_json(data: Any) -> tuple[TunnelSpec, int]:
    """(spec, last bound port) from `spec_to_json` output.

    Raises:
        TunnelError: when `data` is not a saved tunnel.
    """
    if not isinstance(data, dict) or not isinstance(data.get("node"), str):
        raise TunnelError(f"not a saved tunnel: {data!r}")
    try:
        values = {name: data[name] for name in _SPEC_FIELDS if name in data}
        spec = TunnelSpec(
            **values,
            kind=TunnelKind(data.get("kind", "local")),
            target=target_from_json(data.get("target")),
        )
        bound = int(data.get("bound_port", 0))
    except (TypeError, ValueError) as exc:
        raise TunnelError(f"not a saved tunnel ({exc}): {data!r}") from None
    return spec, bound
