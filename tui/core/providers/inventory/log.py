"""A cluster's log: a configured command (`journalctl -f`, `tail -F ...`) run over SSH.

The offset of a `LogBatch` is the number of lines delivered. An arbitrary command cannot be
resumed at a line, so after a dropped connection the command is run again, and the start of its
new output is matched against the last lines already shown (`skip_seen`): commands that replay
recent lines first (`tail -F`, `journalctl -f -n 100`) resume without repeats, as long as they
replay at least the last `ANCHOR` lines shown. Otherwise the stream says so in a marker line:
lines may repeat, or lines written while disconnected may be missing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Sequence

from tui.core.models import LogBatch, SshTarget
from tui.core.providers.slurm.log import LineSplitter
from tui.core.ssh.pool import SshPool
from tui.core.ssh.process import RemoteProcess

READ_CHUNK = 64 * 1024
MAX_LINES = 2000
"""Most lines in one `LogBatch`."""
HISTORY = 2000
"""Lines remembered per cluster for matching a re-run's output."""
ANCHOR = 3
"""How many of the last lines shown must reappear, in order, to count as "already shown"."""
REPLAY_QUIET = 0.5
"""Seconds without output after which a re-run's replay is taken to be complete."""
REPLAY_START = 5.0
"""Seconds a re-run may take to print anything at all (it may be starting on a busy node)."""
MARK = "── "
"""Prefix of the lines clusterdeck adds to a command's output."""


def skip_seen(history: Sequence[str], fresh: Sequence[str]) -> int | None:
    """How many lines at the start of `fresh` were already shown (the end of `history`).

    Looks for the last `ANCHOR` lines of `history` in `fresh` (all of them if fewer), and takes
    the first place they appear, so a log that repeats itself may show a line twice but never
    loses one. None when they do not appear.
    """
    if not history:
        return 0
    anchor = list(history)[-ANCHOR:]
    size = len(anchor)
    for start in range(len(fresh) - size + 1):
        if list(fresh[start : start + size]) == anchor:
            return start + size
    return None


async def run_log_command(
    pool: SshPool,
    target: SshTarget,
    command: str,
    job_id: str,
    offset: int,
    history: deque[str],
) -> AsyncGenerator[LogBatch, None]:
    """Stream `command`'s output (stdout and stderr) on `target` as batches of lines.

    With `offset` > 0 the command is re-run and lines already in `history` are skipped. The
    stream ends with `finished=True` when the command exits.

    Raises:
        SshError: the host cannot be reached, or the connection dropped (resume at `offset`).
    """
    count = max(0, offset)
    if count == 0:
        history.clear()
    proc = await pool.process(target, command, merge_stderr=True)
    splitter = LineSplitter()
    replay: list[str] | None = [] if count > 0 else None
    async with proc:
        while True:
            quiet = None if replay is None else REPLAY_QUIET if replay else REPLAY_START
            data = await _read(proc, quiet=quiet)
            ended = data == b""
            if ended:
                status = await _exit_status(proc)  # raises if the connection dropped
                lines = splitter.flush()
            else:
                lines = splitter.feed(data) if data else []
            if replay is not None:
                replay.extend(lines)
                if data and len(replay) < HISTORY:
                    continue  # still replaying
                lines = _after_replay(history, replay, command)
                replay = None
            for start in range(0, len(lines), MAX_LINES):
                chunk = tuple(lines[start : start + MAX_LINES])
                count += len(chunk)
                history.extend(chunk)
                yield LogBatch(job_id, chunk, count)
            if ended:
                end = f"{MARK}`{command}` {status}"
                history.append(end)
                yield LogBatch(job_id, (end,), count + 1, finished=True)
                return


async def _read(proc: RemoteProcess, *, quiet: float | None) -> bytes | None:
    """The next output (b"" at the end); None after `quiet` s of silence (None: wait)."""
    if quiet is None:
        return await proc.read(READ_CHUNK)
    try:
        async with asyncio.timeout(quiet):
            return await proc.read(READ_CHUNK)
    except TimeoutError:
        return None


def _after_replay(history: Sequence[str], replay: list[str], command: str) -> list[str]:
    """The re-run's lines minus those already shown, after a marker line saying what happened."""
    seen = skip_seen(history, replay)
    if seen is None:
        note = (
            f"{MARK}reconnected: re-ran `{command}`; it did not repeat the last lines shown, "
            "so lines written meanwhile may be missing or repeated"
        )
        return [note, *replay]
    note = f"{MARK}reconnected: re-ran `{command}`; skipped {seen} lines already shown"
    return [note, *replay[seen:]]


async def _exit_status(proc: RemoteProcess) -> str:
    """How the command ended; raises `SshDisconnected` when the connection went instead."""
    end = await proc.finish()
    if end.status is None and end.signal is None:
        return "ended"
    if end.signal is not None:
        return f"was killed by signal {end.signal}"
    if end.status == 0:
        return "exited"
    return f"exited with status {end.status}; check `log_command` in the config"
