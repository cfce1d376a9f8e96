"""The tunnel manager: opens, watches, restores and closes port forwards (see the package doc)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from tui.core.clock import Clock, SystemClock
from tui.core.errors import ClusterdeckError, StateDirError, TunnelError
from tui.core.models import Job, SshTarget
from tui.core.subscribers import Subscribers
from tui.core.tunnels.detect import DetectedService
from tui.core.tunnels.model import TunnelSpec, TunnelState, self_loop, validate
from tui.core.tunnels.runtime import Backoff, ConnectionSource, EventKind, Tunnel, TunnelEvent
from tui.core.tunnels.store import Respec, Saved, TargetResolver, load, save

log = logging.getLogger(__name__)

Subscriber = Callable[[TunnelEvent], None]


class TunnelManager:
    """Opens, watches, restores and closes tunnels.

    Args:
        pool: Gives the SSH connection of a target (`tui.core.ssh.SshPool`).
        clock: For ages and reconnect backoff (a manual clock in tests).
        state_path: `tunnels.json` in the state dir; None keeps nothing on disk.
        resolver: Finds a node's SSH target from a spec's job key and node name (needed for
            specs without a `target`, e.g. restored ones).
        respec: Re-resolves a restored spec's remote port (`Provider.restored_port`); a spec it
            drops is shown failed with the reason.
        backoff: Delays between reconnect attempts.
        counter_interval: Seconds over which byte/connection counter events are coalesced.
        connect_wait: Seconds a new local connection waits for SSH before it is refused.
        is_root: Overrides the root check for privileged local ports (tests).
    """

    def __init__(
        self,
        pool: ConnectionSource,
        *,
        clock: Clock | None = None,
        state_path: Path | None = None,
        resolver: TargetResolver | None = None,
        respec: Respec | None = None,
        backoff: Backoff | None = None,
        counter_interval: float = 0.25,
        connect_wait: float = 15.0,
        is_root: bool | None = None,
    ) -> None:
        self._pool = pool
        self._clock: Clock = clock or SystemClock()
        self._state_path = state_path
        self._resolver = resolver
        self._respec = respec
        self._backoff = backoff or Backoff()
        self.counter_interval = counter_interval
        self.connect_wait = connect_wait
        self._is_root = is_root
        self._tunnels: dict[str, Tunnel] = {}
        self._next_id = 1
        self._subscribers: Subscribers[TunnelEvent] = Subscribers("tunnel")
        self._dirty: dict[str, Tunnel] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._saved: Saved | None = None
        self._owned: set[str] = set()
        self.save_error: str | None = None
        """Why the last save of `tunnels.json` failed, if it did."""

    # --- reading -------------------------------------------------------------------------------

    @property
    def tunnels(self) -> list[Tunnel]:
        """Every tunnel, oldest first (closed ones too, until removed)."""
        return list(self._tunnels.values())

    def get(self, tunnel_id: str) -> Tunnel:
        """The tunnel with `tunnel_id`. Raises TunnelError when there is none."""
        try:
            return self._tunnels[tunnel_id]
        except KeyError:
            raise TunnelError(f"there is no tunnel {tunnel_id!r}") from None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` on every change; returns the function that unsubscribes."""
        return self._subscribers.add(callback)

    async def wait_for(
        self, tunnel: Tunnel, predicate: Callable[[Tunnel], bool], *, within: float = 10.0
    ) -> Tunnel:
        """Wait until `predicate(tunnel)` holds. Raises TunnelError after `within` seconds."""
        changed = asyncio.Event()
        unsubscribe = self.subscribe(lambda e: changed.set() if e.tunnel is tunnel else None)
        try:
            async with asyncio.timeout(within):
                while not predicate(tunnel):
                    changed.clear()
                    await changed.wait()
        except TimeoutError:
            raise TunnelError(
                f"tunnel {tunnel.spec.label} did not get there in {within:g} s; "
                f"it is {tunnel.state_text}"
            ) from None
        finally:
            unsubscribe()
        return tunnel

    # --- changing ------------------------------------------------------------------------------

    async def open(self, spec: TunnelSpec) -> Tunnel:
        """Validate `spec`, bind its local port and start connecting in the background.

        Returns the tunnel in state `starting`; it becomes `listening` once SSH is up.

        Raises:
            TunnelError: for bad input or a local port that cannot be bound.
        """
        return await self._open(spec)

    async def open_service(
        self,
        service: DetectedService,
        *,
        node: str,
        job_key: str | None = None,
        job_name: str = "",
        target: SshTarget | None = None,
    ) -> Tunnel:
        """Tunnel to a service seen in a job's log: same local port if free, else any port."""
        spec = service.to_spec(node=node, job_key=job_key, job_name=job_name, target=target)
        try:
            return await self._open(spec)
        except TunnelError as exc:
            if exc.title != "Port in use":
                raise
            return await self._open(replace(spec, local_port=0))

    async def remove(self, tunnel_id: str) -> None:
        """Close the tunnel and forget it (also on disk)."""
        tunnel = self.get(tunnel_id)
        await tunnel.stop(TunnelState.CLOSED, "removed")
        self._tunnels.pop(tunnel_id, None)
        self._dirty.pop(tunnel_id, None)
        self._emit(tunnel, EventKind.REMOVED, "removed")
        self._persist(tunnel)

    async def restart(self, tunnel_id: str) -> Tunnel:
        """Close and reopen the tunnel on the same local port (any port if that one is taken
        and the user asked for any).

        Raises:
            TunnelError: when the port cannot be bound again (the tunnel is then failed).
        """
        tunnel = self.get(tunnel_id)
        await tunnel.stop(TunnelState.STARTING, "restarting")
        tunnel.last_error = None
        try:
            await tunnel.start(self._pool, self._resolve, self._backoff)
        except TunnelError:
            if tunnel.spec.local_port != 0 or tunnel.local_port == 0:
                raise
            tunnel.local_port = 0
            await tunnel.start(self._pool, self._resolve, self._backoff)
        self._persist(tunnel)
        return tunnel

    async def close_for_job(self, job_key: str, reason: str) -> list[Tunnel]:
        """The job ended: close its tunnels, saying `reason`, and forget them on disk."""
        closed = []
        for tunnel in self.tunnels:
            if tunnel.spec.job_key == job_key and tunnel.state is not TunnelState.CLOSED:
                await tunnel.stop(TunnelState.CLOSED, reason)
                closed.append(tunnel)
        self._owned.add(job_key)
        self._persist(closed[0] if closed else None)
        return closed

    async def sync_jobs(self, jobs: Iterable[Job]) -> list[Tunnel]:
        """Close the tunnels of jobs that finished or vanished from their provider's list."""
        listed = list(jobs)
        by_key = {job.key: job for job in listed}
        providers = {job.provider for job in listed}
        closed: list[Tunnel] = []
        keys = {t.spec.job_key for t in self.tunnels if t.state is not TunnelState.CLOSED}
        for key in sorted(k for k in keys if k is not None):
            job = by_key.get(key)
            if job is not None and job.state.is_finished:
                closed += await self.close_for_job(key, f"job {job.name} {job.state.value}")
            elif job is None and key.split(":", 1)[0] in providers:
                closed += await self.close_for_job(key, f"job {key} is gone from its provider")
        return closed

    async def restore(self, job_keys_running: Iterable[str]) -> list[Tunnel]:
        """Reopen the saved tunnels of the jobs in `job_keys_running`.

        A tunnel whose port cannot be bound is kept in state `failed` with the reason.
        """
        saved = self._load_saved()
        restored = []
        for key in job_keys_running:
            for spec, bound in saved.get(key, []):
                if any(_same(t.spec, spec) for t in self.tunnels if t.state.is_open):
                    continue
                self._owned.add(key)
                fresh = replace(spec, target=None) if self._resolver is not None else spec
                port = bound if spec.local_port == 0 and bound else spec.local_port
                found = await self._respecified(fresh)
                if isinstance(found, str):
                    restored.append(await self._dropped(fresh, found))
                    continue
                fresh = found
                try:
                    restored.append(await self._open(fresh, bind_port=port, keep_failed=True))
                    continue
                except TunnelError:
                    pass
                try:
                    restored.append(await self._open(fresh, keep_failed=True))
                except TunnelError as exc:
                    log.warning("cannot restore tunnel %s of %s: %s", spec.label, key, exc)
        return restored

    async def close(self, reason: str = "clusterdeck closed") -> None:
        """Close every tunnel, saying `reason` (the saved ones stay saved for next time)."""
        for tunnel in self.tunnels:
            if tunnel.state is not TunnelState.CLOSED:
                await tunnel.stop(TunnelState.CLOSED, reason)
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    # --- internals -----------------------------------------------------------------------------

    async def _open(
        self, spec: TunnelSpec, *, bind_port: int | None = None, keep_failed: bool = False
    ) -> Tunnel:
        spec, warnings = validate(spec, is_root=self._is_root)
        if spec.target is None and (self._resolver is None or spec.job_key is None):
            raise TunnelError(f"no way to reach node {spec.node}: no SSH target for it")
        tunnel = Tunnel(
            f"t{self._next_id}",
            spec,
            warnings=warnings,
            clock=self._clock,
            emit=self._emit,
            dirty=self._mark_dirty,
        )
        tunnel.connect_wait = self.connect_wait
        if bind_port is not None:
            tunnel.local_port = bind_port
        try:
            await tunnel.start(self._pool, self._resolve, self._backoff)
        except TunnelError:
            if not keep_failed or (bind_port is not None and bind_port != spec.local_port):
                raise
        loop = self_loop(spec, spec.target, tunnel.local_port) if tunnel.state.is_open else None
        if loop:  # checked once bound: a port taken by the service itself is no loop
            await tunnel.stop(TunnelState.FAILED, loop)
            raise TunnelError(loop, title="Tunnel loops onto itself")
        self._next_id += 1
        self._tunnels[tunnel.id] = tunnel
        if spec.job_key is not None:
            self._owned.add(spec.job_key)
        self._emit(tunnel, EventKind.ADDED, tunnel.state_text)
        for warning in warnings:
            self._emit(tunnel, EventKind.ERROR, warning)
        self._persist(tunnel)
        return tunnel

    async def _respecified(self, spec: TunnelSpec) -> TunnelSpec | str:
        if self._respec is None:
            return spec
        try:
            return await self._respec(spec)
        except ClusterdeckError:
            return spec  # the provider is down: reconnecting will say so

    async def _dropped(self, spec: TunnelSpec, reason: str) -> Tunnel:
        """A restored tunnel that is not opened, shown failed with `reason`."""
        tunnel = Tunnel(
            f"t{self._next_id}", spec, warnings=[], clock=self._clock, emit=self._emit,
            dirty=self._mark_dirty,
        )  # fmt: skip
        self._next_id += 1
        self._tunnels[tunnel.id] = tunnel
        self._emit(tunnel, EventKind.ADDED, reason)
        await tunnel.stop(TunnelState.FAILED, reason)
        return tunnel

    async def _resolve(self, spec: TunnelSpec) -> SshTarget:
        if spec.target is not None:
            return spec.target
        if self._resolver is None:
            raise TunnelError(f"no SSH target for node {spec.node}")
        return await self._resolver(spec)

    def _emit(self, tunnel: Tunnel, kind: EventKind, message: str) -> None:
        if tunnel.id not in self._tunnels and kind is not EventKind.REMOVED:
            return
        self._subscribers.emit(TunnelEvent(kind, tunnel, message))

    def _mark_dirty(self, tunnel: Tunnel) -> None:
        tunnel.is_dirty = True
        self._dirty[tunnel.id] = tunnel
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(self.counter_interval, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        dirty, self._dirty = self._dirty, {}
        for tunnel in dirty.values():
            tunnel.is_dirty = False
            self._emit(tunnel, EventKind.COUNTERS, "")

    def _load_saved(self) -> Saved:
        if self._saved is None:
            self._saved = {}
            if self._state_path is not None:
                try:
                    self._saved = load(self._state_path)
                except StateDirError as exc:
                    self.save_error = exc.message
                    log.warning("%s", exc.message)
        return self._saved

    def _persist(self, tunnel: Tunnel | None) -> None:
        if self._state_path is None:
            return
        saved = self._load_saved()
        for key in self._owned:
            entries = [
                (t.spec, t.local_port)
                for t in self._tunnels.values()
                if t.spec.job_key == key and t.state is not TunnelState.CLOSED
            ]
            if entries:
                saved[key] = entries
            else:
                saved.pop(key, None)
        try:
            save(self._state_path, saved)
            self.save_error = None
        except StateDirError as exc:
            self.save_error = exc.message
            log.warning("%s", exc.message)
            if tunnel is not None:
                self._emit(tunnel, EventKind.ERROR, exc.message)


def _same(a: TunnelSpec, b: TunnelSpec) -> bool:
    """Two specs for the same forward (ignoring how the node is reached)."""
    return replace(a, target=None) == replace(b, target=None)
