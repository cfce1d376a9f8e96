"""What a tunnel is: its request (`TunnelSpec`), its states, presets, and input validation.

Pure code (no sockets, no asyncssh): the add dialog, the headless command and the manager all
validate through the functions here, so the same input gives the same message everywhere.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from tui.core.errors import TunnelError
from tui.core.models import SshTarget

LOOPBACK = "127.0.0.1"
MAX_PORT = 65535
PRIVILEGED_BELOW = 1024


class TunnelKind(StrEnum):
    """A fixed forward (`ssh -L`) or a dynamic SOCKS proxy (`ssh -D`)."""

    LOCAL = "local"
    SOCKS = "socks"


class TunnelState(StrEnum):
    """Where a tunnel is in its life. `ACTIVE` is `LISTENING` with connections open."""

    STARTING = "starting"
    LISTENING = "listening"
    ACTIVE = "active"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """True while the local port is held (it may be waiting for SSH)."""
        return self in {
            TunnelState.STARTING,
            TunnelState.LISTENING,
            TunnelState.ACTIVE,
            TunnelState.RECONNECTING,
        }


@dataclass(frozen=True)
class Preset:
    """A common service on a compute node."""

    key: str
    label: str
    port: int
    scheme: str = "http"
    """URL scheme of the local URL; empty for services that are not web pages."""
    kind: TunnelKind = TunnelKind.LOCAL


PRESETS: tuple[Preset, ...] = (
    Preset("jupyter", "Jupyter", 8888),
    Preset("tensorboard", "TensorBoard", 6006),
    Preset("vnc", "VNC", 5901, scheme=""),
    Preset("paraview", "ParaView (pvserver)", 11111, scheme=""),
    Preset("socks", "SOCKS proxy (-D)", 1080, scheme="socks5h", kind=TunnelKind.SOCKS),
    Preset("custom", "Custom", 0),
)
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}


@dataclass(frozen=True)
class TunnelSpec:
    """What the user asked for. Saved as is (see `tunnel_store`) and restored later."""

    node: str
    """The node's name as the user sees it (or the host for a bare target)."""
    remote_port: int = 0
    """Port as seen from the node; unused (0) for SOCKS."""
    remote_host: str = "localhost"
    local_port: int = 0
    """0 means any free port."""
    bind_address: str = LOOPBACK
    kind: TunnelKind = TunnelKind.LOCAL
    name: str = ""
    job_key: str | None = None
    """`provider:job_id` of the job the tunnel belongs to (closed when it ends)."""
    job_name: str = ""
    target: SshTarget | None = None
    """How to reach the node; None means "ask the manager's resolver by job and node"."""
    preset: str = "custom"
    scheme: str = "http"
    """Scheme of the local URL ("" when the service is not a web page)."""
    url_path: str = "/"
    """Path and query of the local URL, e.g. `/lab?token=...` for Jupyter."""

    @property
    def label(self) -> str:
        """The name shown in tables and messages."""
        if self.name:
            return self.name
        if self.kind is TunnelKind.SOCKS:
            return "socks"
        return self.preset if self.preset != "custom" else f"port {self.remote_port}"

    @property
    def remote(self) -> str:
        """`host:port` as seen from the node, or `SOCKS` for a dynamic forward."""
        if self.kind is TunnelKind.SOCKS:
            return "SOCKS"
        return f"{format_host(self.remote_host)}:{self.remote_port}"

    @property
    def is_web(self) -> bool:
        """True when the local URL opens in a browser."""
        return self.scheme in {"http", "https"}


def format_host(host: str) -> str:
    """IPv6 literals in brackets, everything else as is."""
    return f"[{host}]" if ":" in host else host


def local_url(spec: TunnelSpec, local_port: int) -> str:
    """What to open or paste to reach the service through the tunnel (token kept)."""
    host = spec.bind_address
    if host in {"0.0.0.0", "::", ""}:
        host = LOOPBACK
    where = f"{format_host(host)}:{local_port}"
    if spec.kind is TunnelKind.SOCKS:
        return f"socks5h://{where}"
    if not spec.scheme:
        return where
    path = spec.url_path if spec.url_path.startswith("/") else f"/{spec.url_path}"
    return f"{spec.scheme}://{where}{path}"


# --- validation ----------------------------------------------------------------------------------


def parse_port(text: str | int, *, what: str = "port", allow_any: bool = False) -> int:
    """A port number from user input.

    Args:
        text: What the user typed (or an int).
        what: Names the field in the message ("local port", "remote port").
        allow_any: Accept 0 (and an empty field or "any") as "any free port".

    Raises:
        TunnelError: with what was wrong and what to type instead.
    """
    raw = str(text).strip()
    if allow_any and raw.lower() in {"", "any", "auto"}:
        return 0
    if not re.fullmatch(r"[0-9]+", raw):
        hint = " (or 0 for any free port)" if allow_any else ""
        shown = raw if raw else "an empty field"
        raise TunnelError(f"{what} {shown!r} is not a number: type 1-{MAX_PORT}{hint}")
    port = int(raw)
    if port == 0:
        if allow_any:
            return 0
        raise TunnelError(f"{what} 0 is not a port: type 1-{MAX_PORT}")
    if port > MAX_PORT:
        hint = " or 0 for any free port" if allow_any else ""
        raise TunnelError(f"{what} {port} is out of range: ports go from 1 to {MAX_PORT}{hint}")
    return port


def check_local_port(port: int, *, is_root: bool | None = None) -> list[str]:
    """Refuse a privileged local port unless running as root; returns warnings.

    Ports below 1024 need root on most systems. As root they are allowed, with a warning.
    """
    if port == 0 or port >= PRIVILEGED_BELOW:
        return []
    root = os.geteuid() == 0 if is_root is None else is_root
    if not root:
        raise TunnelError(
            f"local port {port} is privileged (below {PRIVILEGED_BELOW}): only root may listen "
            f"there; use a port from {PRIVILEGED_BELOW} to {MAX_PORT}, or 0 for any free port"
        )
    return [
        f"local port {port} is privileged (below {PRIVILEGED_BELOW}); "
        "allowed because clusterdeck runs as root"
    ]


def check_host(host: str, *, what: str = "remote host") -> str:
    """A host name or address without spaces or brackets; returns it stripped."""
    value = host.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if not value:
        raise TunnelError(f"{what} is empty: type a host as seen from the node, e.g. localhost")
    if not re.fullmatch(r"[A-Za-z0-9._:%-]+", value) or len(value) > 253:
        raise TunnelError(f"{what} {host!r} is not a host name or address")
    return value


def check_bind_address(address: str) -> list[str]:
    """Warnings for listening anywhere but loopback (others could reach the node through it)."""
    value = address.strip() or LOOPBACK
    if value == "localhost":
        return []
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        raise TunnelError(
            f"bind address {address!r} is not an IP address: use 127.0.0.1 (the default), "
            "or e.g. 0.0.0.0 to let other machines use the tunnel"
        ) from None
    if ip.is_loopback:
        return []
    return [
        f"listening on {value}, not 127.0.0.1: other machines that can reach this one can "
        "use the tunnel"
    ]


def validate(spec: TunnelSpec, *, is_root: bool | None = None) -> tuple[TunnelSpec, list[str]]:
    """Check every field of `spec`; returns it normalised, and the warnings to show.

    Raises:
        TunnelError: for the first bad field, with a message that says how to fix it.
    """
    if spec.kind is TunnelKind.LOCAL:
        parse_port(spec.remote_port, what="remote port")
        host = check_host(spec.remote_host)
    else:
        host = spec.remote_host
    parse_port(spec.local_port, what="local port", allow_any=True)
    warnings = check_local_port(spec.local_port, is_root=is_root)
    warnings += check_bind_address(spec.bind_address)
    bind = spec.bind_address.strip() or LOOPBACK
    if bind == "localhost":
        bind = LOOPBACK
    if not spec.node.strip():
        raise TunnelError("choose the node to tunnel through")
    return replace(spec, remote_host=host, bind_address=bind, node=spec.node.strip()), warnings


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_this_machine(host: str) -> bool:
    """True for a loopback name or address, or the wildcard address (both mean "here")."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def self_loop(spec: TunnelSpec, target: SshTarget | None, local_port: int) -> str | None:
    """Why `spec` would forward onto its own listener, or None when it cannot.

    That happens when the node's SSH server runs on this machine (a loopback target with no jump
    host, as the demo's nodes are) and the remote end is this machine's `local_port`: every
    connection would open another one until file descriptors run out.
    """
    if spec.kind is not TunnelKind.LOCAL or target is None or target.jump is not None:
        return None
    if not (is_this_machine(target.host) and is_this_machine(spec.remote_host)):
        return None
    if local_port != spec.remote_port or not is_this_machine(spec.bind_address or LOOPBACK):
        return None
    return (
        f"this forward would connect to itself: node {spec.node} is this machine "
        f"({target.host}), so {spec.remote_host}:{spec.remote_port} there is this tunnel's own "
        f"local port {local_port}. Choose another local port (0 takes any free one) or the "
        "port the service really listens on."
    )


def parse_forward(text: str) -> tuple[int, str, int, str]:
    """`-L` syntax: `[bind:]local:host:remote` -> (local port, host, remote port, bind address).

    `8888` alone means `8888:localhost:8888`; `8888:9999` means `8888:localhost:9999`.
    """
    parts = _split_forward(text)
    bind = LOOPBACK
    if len(parts) == 4:
        bind = parts.pop(0) or LOOPBACK
    if len(parts) == 1:
        local = parse_port(parts[0], what="local port", allow_any=True)
        remote = parse_port(parts[0], what="remote port")
        return local, "localhost", remote, bind
    if len(parts) == 2:
        local = parse_port(parts[0], what="local port", allow_any=True)
        return local, "localhost", parse_port(parts[1], what="remote port"), bind
    if len(parts) == 3:
        local = parse_port(parts[0], what="local port", allow_any=True)
        host = check_host(parts[1])
        return local, host, parse_port(parts[2], what="remote port"), bind
    raise TunnelError(
        f"forward {text!r} is not LOCAL_PORT:HOST:REMOTE_PORT (e.g. 8888:localhost:8888)"
    )


def parse_dynamic(text: str) -> tuple[int, str]:
    """`-D` syntax: `[bind:]port` -> (local port, bind address)."""
    parts = _split_forward(text)
    if len(parts) == 1:
        return parse_port(parts[0], what="SOCKS port", allow_any=True), LOOPBACK
    if len(parts) == 2:
        return parse_port(parts[1], what="SOCKS port", allow_any=True), parts[0] or LOOPBACK
    raise TunnelError(f"SOCKS forward {text!r} is not [BIND:]PORT (e.g. 1080)")


def _split_forward(text: str) -> list[str]:
    """Split on colons, keeping `[v6]` literals whole (without their brackets)."""
    parts: list[str] = []
    current = ""
    bracketed = False
    for char in text.strip():
        if char in "[]":
            bracketed = char == "["
        elif char == ":" and not bracketed:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


@dataclass
class Counters:
    """Live numbers of one tunnel."""

    open: int = 0
    total: int = 0
    bytes_up: int = 0
    """Bytes from local clients to the node."""
    bytes_down: int = 0
    """Bytes from the node to local clients."""
    errors: int = 0
    """Connections that failed (refused on the node, lost mid-transfer, no SSH)."""
