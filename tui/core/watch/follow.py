"""Follow one job's log: resume at the last offset after an error, with exponential backoff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tui.core.errors import as_user_error
from tui.core.models import Job
from tui.core.providers.base import Capability, Provider, capability_note
from tui.core.tunnels.detect import ServiceDetector
from tui.core.watch.events import (
    Emit,
    Failed,
    LogFinished,
    LogLines,
    LogNote,
    Pane,
    Recovered,
    ServiceDetected,
)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class LogBackoff:
    """Seconds to wait before resuming a broken log stream: `initial`, doubling up to `maximum`."""

    initial: float = 1.0
    maximum: float = 30.0

    def after(self, delay: float) -> float:
        """The delay that follows `delay`."""
        return min(delay * 2, self.maximum)


class LogFollower:
    """Streams `job`'s log from offset 0 until the provider says it is complete."""

    def __init__(
        self,
        provider: Provider,
        job: Job,
        *,
        emit: Emit,
        sleep: Sleep,
        backoff: LogBackoff | None = None,
        name: str = "",
    ) -> None:
        self.provider = provider
        self.job = job
        self.name = name
        """Which log (`Provider.log_names`); "" for the one `stream_log` gives."""
        self._emit = emit
        self._sleep = sleep
        self._backoff = backoff or LogBackoff()
        self._detector = ServiceDetector()
        self.offset = 0
        """Where the next (re)connection resumes: no gap, no duplicate."""
        self.finished = False
        self._failing = False

    async def run(self) -> None:
        """Follow the log; errors are reported and retried, never raised."""
        no_logs = capability_note(self.provider, Capability.LOGS, self.job)
        if no_logs is not None:  # said in the log pane; the provider is not asked
            self._emit(LogLines(self.job, (no_logs,), self.offset))
            self.finished = True
            self._emit(LogFinished(self.job))
            return
        delay = self._backoff.initial
        while not self.finished:
            try:
                if self.name:
                    stream = self.provider.stream_named_log(self.job, self.name, offset=self.offset)
                else:
                    stream = self.provider.stream_log(self.job, offset=self.offset)
                async for batch in stream:
                    for note in batch.notes:
                        self._emit(LogNote(self.job, note))
                    if batch.lines:
                        self._emit(LogLines(self.job, batch.lines, batch.offset))
                        for service in self._detector.feed(batch.lines):
                            self._emit(ServiceDetected(self.job, service))
                    self.offset = batch.offset
                    delay = self._backoff.initial
                    if self._failing:
                        self._failing = False
                        self._emit(Recovered(Pane.LOG))
                    if batch.finished:
                        self.finished = True
                        self._emit(LogFinished(self.job))
                if not self.finished:
                    return  # the provider ended the stream: nothing more will come
            except Exception as exc:
                error = as_user_error(exc, title="Log stream interrupted")
                self._emit(Failed(Pane.LOG, error, first=not self._failing))
                self._failing = True
                await self._sleep(delay)
                delay = self._backoff.after(delay)
