"""Spot services a job announces in its log, so the user can tunnel to them with one key.

detect_service("server listening on port 8050")          -> port 8050 on localhost
detect_service("  http://127.0.0.1:8888/lab?token=abc")   -> Jupyter, path "/lab?token=abc"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tui.core.models import SshTarget
from tui.core.tunnels.model import MAX_PORT, PRESETS_BY_KEY, TunnelSpec

_URL = re.compile(
    r"\b(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})"
    r"(?P<path>/[^\s'\"<>)\]]*)?"
)
_LISTENING = re.compile(
    r"\b(?:listening|serving|running|accepting connections)\s+(?:on|at)\s+"
    r"(?:(?:port\s+)|(?:(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+|\*)?:))(?P<port>\d{1,5})\b",
    re.IGNORECASE,
)
_ANY_ADDRESS = {"0.0.0.0", "::", "[::]", "*", ""}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]", "::1", "ip6-localhost"}
_PRESET_PORTS = {8888: "jupyter", 6006: "tensorboard", 5901: "vnc", 11111: "paraview"}


@dataclass(frozen=True)
class DetectedService:
    """A service a log line announced."""

    port: int
    remote_host: str = "localhost"
    """Where the node reaches it (`localhost` for loopback or any-address listeners)."""
    scheme: str = "http"
    """URL scheme for the local URL; empty for non-web services (VNC, pvserver)."""
    path: str = "/"
    """Path and query to keep in the local URL (a Jupyter token stays here)."""
    preset: str = "custom"
    line: str = ""

    @property
    def token(self) -> str | None:
        """The `token=` query value, when the URL has one."""
        match = re.search(r"[?&]token=([^&#\s]+)", self.path)
        return match.group(1) if match else None

    @property
    def label(self) -> str:
        """`Jupyter on port 8888` etc."""
        preset = PRESETS_BY_KEY.get(self.preset)
        name = preset.label if preset is not None and self.preset != "custom" else "service"
        return f"{name} on port {self.port}"

    def to_spec(
        self,
        *,
        node: str,
        job_key: str | None = None,
        job_name: str = "",
        target: SshTarget | None = None,
        local_port: int | None = None,
    ) -> TunnelSpec:
        """A tunnel to this service (local port: the same as the remote one unless given)."""
        return TunnelSpec(
            node=node,
            remote_port=self.port,
            remote_host=self.remote_host,
            local_port=self.port if local_port is None else local_port,
            name=self.preset if self.preset != "custom" else "",
            job_key=job_key,
            job_name=job_name,
            target=target,
            preset=self.preset,
            scheme=self.scheme,
            url_path=self.path,
        )


def detect_service(line: str) -> DetectedService | None:
    """The service `line` announces, or None.

    Recognises `listening on port N` (also `listening on 0.0.0.0:N`, `serving at :N`), and URLs
    with an explicit port: `http://localhost:N/...`, `http://127.0.0.1:N/...` and Jupyter's
    `http://<host>:N/?token=...` (the token is kept in `path`).
    """
    urls = [m for m in _URL.finditer(line) if 0 < int(m.group("port")) <= MAX_PORT]
    if urls:
        best = max(urls, key=_url_rank)
        host = best.group("host")
        port = int(best.group("port"))
        path = best.group("path") or "/"
        preset = _preset(line, port, token="token=" in path)
        return DetectedService(
            port=port,
            remote_host=_node_host(host),
            scheme=best.group("scheme").lower(),
            path=path,
            preset=preset,
            line=line,
        )
    match = _LISTENING.search(line)
    if match is None:
        return None
    port = int(match.group("port"))
    if not 0 < port <= MAX_PORT:
        return None
    preset = _preset(line, port, token=False)
    scheme = PRESETS_BY_KEY[preset].scheme if preset != "custom" else "http"
    return DetectedService(
        port=port,
        remote_host=_node_host(match.group("host") or ""),
        scheme=scheme,
        preset=preset,
        line=line,
    )


def _url_rank(match: re.Match[str]) -> tuple[bool, bool]:
    """Prefer URLs with a token, then loopback ones (Jupyter prints several)."""
    return ("token=" in (match.group("path") or ""), match.group("host") in _LOOPBACK_NAMES)


def _node_host(host: str) -> str:
    if host in _ANY_ADDRESS or host.lower() in {"localhost", "ip6-localhost"}:
        return "localhost"
    return host.strip("[]")


def _preset(line: str, port: int, *, token: bool) -> str:
    lower = line.lower()
    if token or "jupyter" in lower:
        return "jupyter"
    if "tensorboard" in lower:
        return "tensorboard"
    return _PRESET_PORTS.get(port, "custom")


class ServiceDetector:
    """Feeds log lines to `detect_service` and reports each port once (the first mention wins:
    Jupyter prints its URL twice, with the host name and with 127.0.0.1)."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def feed(self, lines: Iterable[str]) -> list[DetectedService]:
        """Services announced in `lines` that were not reported before."""
        found = []
        for line in lines:
            service = detect_service(line)
            if service is None:
                continue
            if service.port not in self._seen:
                self._seen.add(service.port)
                found.append(service)
        return found
