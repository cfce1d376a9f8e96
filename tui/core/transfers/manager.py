"""Transfers in the background: a list of them, progress events, cancel, retry.

    manager = TransferManager(pool)
    transfer = manager.start(TransferSpec(Direction.DOWN, target, "out/", Path("~/Downloads/x")))
    manager.subscribe(lambda t: print(t.state, t.progress.done))
    await manager.wait(transfer)

A transfer whose connection drops is retried on its own (`auto_retries` times, after 1, 2, 4...
seconds; a node unreachable from the start fails at once) and resumes its partial files;
`retry` starts a failed or cancelled one again (it also resumes). Events are throttled to
`EVENT_INTERVAL` while bytes flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.core.clock import Clock, SystemClock
from tui.core.errors import (
    ClusterdeckError,
    ProviderUnavailable,
    SshDisconnected,
    SshUnreachable,
    as_user_error,
)
from tui.core.ssh.handle import Pipeline
from tui.core.ssh.pool import SshPool
from tui.core.subscribers import Subscribers
from tui.core.transfers.api import ApiRun
from tui.core.transfers.model import Conflict, Progress, TransferSpec, TransferState, Verify
from tui.core.transfers.runner import ConflictQuestion, Outcome, TransferRun

EVENT_INTERVAL = 0.1
"""Seconds between progress events of one transfer."""
RETRY_DELAYS = (1.0, 2.0, 4.0)

log = logging.getLogger(__name__)
_ids = itertools.count(1)


@dataclass
class Transfer:
    """One entry of the transfers list."""

    spec: TransferSpec
    id: int = field(default_factory=lambda: next(_ids))
    state: TransferState = TransferState.QUEUED
    progress: Progress = field(default_factory=Progress)
    error: ClusterdeckError | None = None
    outcome: Outcome | None = None
    attempts: int = 0
    note: str = ""
    """What is happening besides the bytes (e.g. `retrying in 2 s: connection lost`)."""
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _last_event: float = field(default=0.0, repr=False)

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.source.rstrip("/").rsplit("/", 1)[-1]


class TransferManager:
    """Runs transfers on the SSH pool and tells subscribers how they go."""

    def __init__(
        self,
        pool: SshPool,
        *,
        clock: Clock | None = None,
        ask: ConflictQuestion | None = None,
        conflict: Conflict = Conflict.ASK,
        verify: Verify = Verify.SHA256,
        pipeline: Pipeline | None = None,
        auto_retries: int = len(RETRY_DELAYS),
        at_once: int = 2,
    ) -> None:
        self.pool = pool
        self.clock = clock or SystemClock()
        self.ask = ask
        self.conflict = conflict
        self.verify = verify
        self.pipeline = pipeline or Pipeline()
        self.auto_retries = auto_retries
        self._slots = asyncio.Semaphore(at_once)
        self._events: Subscribers[Transfer] = Subscribers("transfer")
        self.transfers: list[Transfer] = []

    def subscribe(self, callback: Callable[[Transfer], None]) -> Callable[[], None]:
        """Call `callback(transfer)` on every change; returns the unsubscribe function."""
        return self._events.add(callback)

    def start(self, spec: TransferSpec) -> Transfer:
        """Queue `spec`; it starts when one of the `at_once` slots is free."""
        transfer = Transfer(spec)
        self.transfers.append(transfer)
        self._launch(transfer)
        return transfer

    def cancel(self, transfer: Transfer) -> bool:
        """Stop `transfer` (its partial files stay, so a retry resumes). False: not running."""
        task = transfer._task
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def retry(self, transfer: Transfer) -> bool:
        """Start a failed or cancelled transfer again. False: it is still going, or done."""
        if transfer.state not in (TransferState.FAILED, TransferState.CANCELLED):
            return False
        transfer.error = None
        self._launch(transfer)
        return True

    def remove(self, transfer: Transfer) -> None:
        """Forget a transfer that is over (cancel it first)."""
        self.cancel(transfer)
        with contextlib.suppress(ValueError):
            self.transfers.remove(transfer)

    async def wait(self, transfer: Transfer) -> Transfer:
        """Wait until `transfer` is over (its error, if any, is in `transfer.error`)."""
        task = transfer._task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        return transfer

    async def close(self) -> None:
        """Cancel every transfer and wait for them."""
        tasks = [t._task for t in self.transfers if t._task is not None and not t._task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- internals ------------------------------------------------------------------------

    def _launch(self, transfer: Transfer) -> None:
        transfer.state = TransferState.QUEUED
        transfer.note = ""
        transfer._task = asyncio.create_task(self._run(transfer), name=f"transfer {transfer.id}")
        self._emit(transfer, force=True)

    def _emit(self, transfer: Transfer, *, force: bool = False) -> None:
        now = self.clock.monotonic()
        transfer.progress.sample(now)
        if force or now - transfer._last_event >= EVENT_INTERVAL:
            transfer._last_event = now
            self._events.emit(transfer)

    async def _run(self, transfer: Transfer) -> None:
        try:
            async with self._slots:
                await self._attempts(transfer)
        except asyncio.CancelledError:
            transfer.state = TransferState.CANCELLED
            transfer.note = "cancelled; retry resumes it"
            self._emit(transfer, force=True)
            raise
        except ClusterdeckError as exc:
            transfer.state, transfer.error = TransferState.FAILED, exc
        except Exception as exc:
            log.exception("transfer %s failed", transfer.id)
            transfer.state, transfer.error = TransferState.FAILED, as_user_error(exc)
        self._emit(transfer, force=True)

    def _runner(self, transfer: Transfer) -> TransferRun | ApiRun:
        spec, progress = transfer.spec, transfer.progress
        conflict = spec.conflict or self.conflict

        def advanced() -> None:
            self._emit(transfer)

        if spec.api is not None:
            return ApiRun(
                spec.api,
                spec,
                progress=progress,
                conflict=conflict,
                ask=self.ask,
                verify=self.verify,
                on_advance=advanced,
            )
        return TransferRun(
            self.pool,
            spec,
            progress=progress,
            conflict=conflict,
            ask=self.ask,
            verify=self.verify,
            pipeline=self.pipeline,
            on_advance=advanced,
        )

    async def _attempts(self, transfer: Transfer) -> None:
        retries = 0
        while True:
            transfer.attempts += 1
            transfer.state = TransferState.RUNNING
            self._emit(transfer, force=True)
            run = self._runner(transfer)
            try:
                transfer.outcome = await run.run()
            except (SshDisconnected, SshUnreachable, ProviderUnavailable) as exc:
                started = transfer.progress.files_total > 0  # it got as far as copying
                if retries >= self.auto_retries or not (
                    started or isinstance(exc, SshDisconnected)
                ):
                    raise  # a node that was never reachable fails at once
                delay = RETRY_DELAYS[min(retries, len(RETRY_DELAYS) - 1)]
                retries += 1
                transfer.note = f"retrying in {delay:g} s: {exc.message}"
                self._emit(transfer, force=True)
                await self.clock.sleep(delay)
                continue
            outcome = transfer.outcome
            transfer.note = ""
            transfer.state = TransferState.DONE
            if outcome.copied == 0 and outcome.skipped:
                transfer.state = TransferState.SKIPPED
            return
