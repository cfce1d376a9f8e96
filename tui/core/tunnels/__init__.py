"""Port forwards over the pooled SSH connections, with live state, reconnects and persistence.

    manager = TunnelManager(pool, clock=clock, state_path=state_dir / "tunnels.json",
                            resolver=provider_resolver(provider))
    unsubscribe = manager.subscribe(on_event)
    tunnel = await manager.open(TunnelSpec(node="master-0", remote_port=8888, target=target))
    ...
    await manager.close_for_job("demo:4207", "job cfd-wing completed")
    await manager.close()

Each tunnel owns its local listener for its whole life: when the SSH connection drops the listener
stays open (clients wait for the reconnect, or are refused cleanly after `connect_wait` seconds)
and the SSH side comes back with backoff. Core code: no Textual here.
"""

from __future__ import annotations

from tui.core.tunnels.detect import DetectedService, ServiceDetector, detect_service
from tui.core.tunnels.manager import TunnelManager
from tui.core.tunnels.model import PRESETS, Counters, TunnelKind, TunnelSpec, TunnelState, local_url
from tui.core.tunnels.runtime import Backoff, EventKind, Tunnel, TunnelEvent
from tui.core.tunnels.store import provider_resolver

__all__ = [
    "PRESETS",
    "Backoff",
    "Counters",
    "DetectedService",
    "EventKind",
    "ServiceDetector",
    "Tunnel",
    "TunnelEvent",
    "TunnelKind",
    "TunnelManager",
    "TunnelSpec",
    "TunnelState",
    "detect_service",
    "local_url",
    "provider_resolver",
]
