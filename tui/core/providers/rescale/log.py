"""Following a job's `process_output.log`: the live tail while it executes, then the stored file.

One `TailAssembler` per job holds every line delivered so far, so a stream resumed from any
offset (or from 0 after switching jobs) replays from memory and never repeats a line; only one
stream per job polls Rescale at a time. Notes about gaps are kept at their position and replayed
with the lines; passing notes (waiting for the job to start, a failed poll) are sent once per
stream while they hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.core.clock import Clock
from tui.core.errors import ProviderAuthError, ProviderError
from tui.core.models import Job, JobState, LogBatch
from tui.core.providers.rescale.api import RescaleApi, RescaleNotFound
from tui.core.providers.rescale.jobs import job_state, newest_first
from tui.core.providers.rescale.tail import TailAssembler

LOG_NAME = "process_output.log"
MAX_BATCH = 2000
"""Most lines in one `LogBatch`."""
CAP_FACTOR = 16
"""The widest tail window asked for is this many times `tail_lines`."""
STORED_LOG_TRIES = 24
"""Polls to wait for the stored log of a finished job before giving up with a note."""


@dataclass
class _JobLog:
    tail: TailAssembler
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_poll: float = 0.0
    run_id: str | None = None
    stored_misses: int = 0


def _lines(payload: Any, what: str) -> list[str]:
    if not isinstance(payload, dict) or not isinstance(payload.get("lines"), list):
        raise ProviderError(f"Rescale sent an unexpected answer for {what} (no `lines` list)")
    return [str(line) for line in payload["lines"]]


class LogFollower:
    """Log streams for the jobs of one provider.

    Args:
        api: The Rescale client.
        clock: Waits between polls.
        interval: Seconds between polls of a live log.
        lines: The usual tail window; it widens up to 16x to settle an overlap.
    """

    def __init__(self, api: RescaleApi, *, clock: Clock, interval: float, lines: int) -> None:
        self._api = api
        self._clock = clock
        self._interval = interval
        self._lines = lines
        self._logs: dict[str, _JobLog] = {}

    def _log(self, job_id: str) -> _JobLog:
        log = self._logs.get(job_id)
        if log is None:
            log = self._logs[job_id] = _JobLog(TailAssembler(cap=self._lines * CAP_FACTOR))
        return log

    async def recent_lines(self, job: Job) -> list[str]:
        """The lines seen so far, or one tail window when the log was never followed."""
        log = self._logs.get(job.id)
        if log is not None and log.tail.lines:
            return log.tail.lines[-self._lines :]
        try:
            run = await self._run_id(job.id, _JobLog(TailAssembler(cap=self._lines)))
            return await self._tail(job.id, run, self._lines)
        except ProviderAuthError:
            raise
        except ProviderError:
            return []

    async def stream(self, job: Job, *, offset: int = 0) -> AsyncGenerator[LogBatch, None]:
        """Lines of `job`'s log from `offset` on (see the module docstring)."""
        log = self._log(job.id)
        pos = max(0, offset)
        notes = log.tail.notes
        seen = next(
            (i for i, (at, _) in enumerate(notes) if at > pos or (pos == 0 and at == 0)),
            len(notes),
        )
        passing = ""
        while True:
            batches, pos, seen = self._pending(job.id, log.tail, pos, seen)
            for batch in batches:
                yield batch
            if log.tail.finished:
                if not batches or not batches[-1].finished:
                    yield LogBatch(job.id, (), pos, finished=True)
                return
            if batches:
                passing = ""
            if self._api.closed:
                raise ProviderError("the Rescale provider stopped; this log stream ended")
            async with log.lock:
                due = log.next_poll - self._clock.monotonic()
                if len(log.tail.lines) == pos and due <= 0:
                    note = await self._advance(job, log)
                    log.next_poll = self._clock.monotonic() + self._interval
                    if note and note != passing:
                        passing = note
                        yield LogBatch(job.id, (), pos, notes=(note,))
                    continue
            if len(log.tail.lines) == pos and not log.tail.finished:
                await self._clock.sleep(max(due, 0.0) or self._interval)

    def _pending(
        self, job_id: str, tail: TailAssembler, pos: int, seen: int
    ) -> tuple[list[LogBatch], int, int]:
        """Batches of lines[pos:], split where notes sit; also the new pos and notes seen."""
        batches: list[LogBatch] = []
        total = len(tail.lines)
        pos = min(pos, total) if tail.finished else pos
        while True:
            notes = []
            while seen < len(tail.notes) and tail.notes[seen][0] <= pos:
                notes.append(tail.notes[seen][1])
                seen += 1
            limit = tail.notes[seen][0] if seen < len(tail.notes) else total
            end = max(pos, min(limit, total, pos + MAX_BATCH))
            if end == pos and not notes:
                return batches, pos, seen
            done = tail.finished and end >= total and seen == len(tail.notes)
            lines = tuple(tail.lines[pos:end])
            batches.append(LogBatch(job_id, lines, end, finished=done, notes=tuple(notes)))
            pos = end

    async def _advance(self, job: Job, log: _JobLog) -> str | None:
        """Poll once: the tail while executing, the stored file once finished. Returns a note."""
        try:
            history = newest_first(await self._api.get_all(f"jobs/{job.id}/statuses/"))
        except RescaleNotFound:
            raise RescaleNotFound(
                f"job {job.name} ({job.id}) no longer exists on Rescale (deleted?); its log "
                "cannot be read any more",
                path=f"jobs/{job.id}/statuses/",
            ) from None
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            return f"log poll failed: {exc.message}; retrying every {self._interval:g} s"
        display = str(history[0].get("status") or "") if history else ""
        state = job_state(display, history)
        try:
            if state in {JobState.RUNNING, JobState.STOPPING}:
                return await self._poll_tail(job, log, display)
            if state.is_finished:
                return await self._read_stored(job, log)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            return f"log poll failed: {exc.message}; retrying every {self._interval:g} s"
        if not display:
            log.tail.notes.append((len(log.tail.lines), "the job was never submitted: no log"))
            log.tail.finished = True
            return None
        return f"waiting for the job to start executing (status: {display})"

    async def _poll_tail(self, job: Job, log: _JobLog, display: str) -> str | None:
        run = await self._run_id(job.id, log)

        async def fetch(count: int) -> Sequence[str]:
            return await self._tail(job.id, run, count)

        try:
            await log.tail.poll(fetch, self._lines)
        except RescaleNotFound:
            log.run_id = None  # look the active run up again next time
            return f"no live output yet ({LOG_NAME} not there; status: {display})"
        return None

    async def _tail(self, job_id: str, run: str, count: int) -> list[str]:
        path = f"jobs/{job_id}/runs/{run}/tail/{LOG_NAME}"
        return _lines(await self._api.get(path, {"lines": count}), f"the tail of {LOG_NAME}")

    async def _run_id(self, job_id: str, log: _JobLog) -> str:
        """The active run (started, not completed), else the newest started one, else "1"."""
        if log.run_id is not None:
            return log.run_id
        runs: list[dict[str, Any]] = []
        try:
            runs = await self._api.get_all(f"jobs/{job_id}/runs/")
        except RescaleNotFound:
            pass
        active = [r for r in runs if r.get("dateStarted") and not r.get("dateCompleted")]
        started = [r for r in runs if r.get("dateStarted")]
        chosen = (active or started[-1:] or [{"id": "1"}])[0]
        log.run_id = str(chosen.get("id") or "1")
        return log.run_id

    async def _read_stored(self, job: Job, log: _JobLog) -> str | None:
        """Reconcile with the stored `process_output.log`, or say it is not uploaded yet."""
        files = await self._api.get_all(f"jobs/{job.id}/files/", params={"search": LOG_NAME})
        chosen = _pick_log_file(files, log.run_id)
        if chosen is None:
            log.stored_misses += 1
            if log.stored_misses >= STORED_LOG_TRIES:
                log.tail.notes.append(
                    (len(log.tail.lines), f"the job finished but no stored {LOG_NAME} was found")
                )
                log.tail.finished = True
                return None
            return f"the job finished; waiting for its stored {LOG_NAME} to be uploaded"
        file_id = chosen["id"]
        try:
            lines = _lines(await self._api.get(f"files/{file_id}/lines/"), LOG_NAME)
        except RescaleNotFound:
            lines = (await self._api.get_text(f"files/{file_id}/contents/")).splitlines()
        log.tail.reconcile([line.rstrip("\r\n") for line in lines])
        return None


def _pick_log_file(
    files: Sequence[Mapping[str, Any]], run_id: str | None
) -> Mapping[str, Any] | None:
    """The stored process_output.log: of the followed run if known, else the top-level one."""
    named = [
        f for f in files if f.get("name") == LOG_NAME and f.get("id") and not f.get("isDeleted")
    ]
    if run_id is not None:
        of_run = [f for f in named if f"/run{run_id}/" in str(f.get("path") or "")]
        named = of_run or named
    named.sort(key=lambda f: len(str(f.get("relativePath") or f.get("path") or "")))
    return named[0] if named else None
