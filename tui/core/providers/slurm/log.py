"""A job's output file: its path (sbatch `%` patterns expanded) and a byte-offset follower.

The follower runs `tail -c +N -F` over SSH and counts bytes, so a stream resumed at
`LogBatch.offset` continues exactly after the last complete line delivered: a partial last line is
held back until its newline arrives (or the job has ended), nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass

from tui.core.errors import ProviderError, SshError
from tui.core.models import LogBatch, SshTarget
from tui.core.providers.slurm.parse import SlurmJob
from tui.core.ssh.pool import SshPool

NO_ARRAY_TASK = "4294967294"
"""What Slurm writes for `%a` in a job that is not an array task (NO_VAL)."""
READ_CHUNK = 256 * 1024
"""Bytes fetched per read of a finished job's file."""
MAX_LINES = 2000
"""Most lines in one `LogBatch`."""
EXIT_MISSING = 78
EXIT_UNREADABLE = 77

MAX_WIDTH = 10
"""Widest zero-padding of a pattern field (`%4j`): Slurm's own MAX_WIDTH (fname.c)."""
_PATTERN = re.compile(r"%(\d*)([%AabjJNnstux])")


def expand_pattern(pattern: str, job: SlurmJob) -> str:
    """Expand sbatch's filename pattern (`%j %x %A %a %u %N %%`, with `%4j` zero-padding).

    A backslash anywhere turns expansion off, as in sbatch.
    """
    if "\\" in pattern:
        return pattern.replace("\\", "")
    array_job = str(job.array_job_id) if job.array_job_id else job.job_id
    task = str(job.array_task_id) if job.array_task_id is not None else NO_ARRAY_TASK
    first_node = job.batch_host or (job.nodes[0] if job.nodes else "")

    def replace(match: re.Match[str]) -> str:
        width, code = match.group(1), match.group(2)
        if code == "%":
            return "%"
        value = {
            "A": array_job,
            "a": task,
            "b": str(int(task) % 10) if task.isdigit() else task,
            "j": job.job_id,
            "J": job.job_id,
            "N": first_node.split(".")[0],
            "n": "0",
            "s": "batch",
            "t": "0",
            "u": job.user,
            "x": job.name,
        }[code]
        digits = width.lstrip("0")  # a huge width must not allocate itself (nor reach int())
        padded = MAX_WIDTH if len(digits) > 2 else min(int(digits or 0), MAX_WIDTH)
        return value.zfill(padded) if padded and value.isdigit() else value

    return _PATTERN.sub(replace, pattern)


def output_path(job: SlurmJob, *, stderr: bool = False) -> str:
    """The absolute path of the job's StdOut (or StdErr) file on the cluster.

    Uses Slurm's own expansion when it gives one (24.05+), else expands the pattern; an empty
    StdOut is sbatch's default (`slurm-%j.out`, `slurm-%A_%a.out` for arrays) and an empty StdErr
    means "same file as StdOut".
    """
    expanded = job.stderr_expanded if stderr else job.stdout_expanded
    raw = job.stderr if stderr else job.stdout
    if expanded:
        path = expanded
    elif raw:
        path = expand_pattern(raw, job)
    elif stderr:
        return output_path(job)
    else:
        default = "slurm-%A_%a.out" if job.array_job_id else "slurm-%j.out"
        path = expand_pattern(default, job)
    if not path.startswith("/") and job.workdir:
        path = f"{job.workdir.rstrip('/')}/{path}"
    return path


Line = tuple[str, int]
"""A decoded line and the byte offset just after it."""


class LineSplitter:
    """Bytes in, complete lines out; `offset` is the byte just after the last complete line."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        """Complete lines in `data` (and what was held back); a trailing partial line waits."""
        return [line for line, _ in self.feed_lines(data)]

    def feed_lines(self, data: bytes) -> list[Line]:
        """Like `feed`, each line with the byte offset just after it (where to resume)."""
        data = self._pending + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._pending = data
            return []
        complete, self._pending = data[: cut + 1], data[cut + 1 :]
        lines: list[Line] = []
        for raw in complete.split(b"\n")[:-1]:
            self.offset += len(raw) + 1
            lines.append((_decode(raw), self.offset))
        return lines

    @property
    def received(self) -> int:
        """Bytes consumed so far, the held-back partial line included."""
        return self.offset + len(self._pending)

    def flush(self) -> list[str]:
        """The held-back partial line, once nothing more will come."""
        return [line for line, _ in self.flush_lines()]

    def flush_lines(self) -> list[Line]:
        """Like `flush`, with the offset after the line."""
        if not self._pending:
            return []
        raw, self._pending = self._pending, b""
        self.offset += len(raw)
        return [(_decode(raw), self.offset)]


def _decode(line: bytes) -> str:
    return line.removesuffix(b"\r").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class LogSource:
    """Where a job's output lives and how to ask whether the job is still running."""

    job_id: str
    path: str
    target: SshTarget
    is_finished: Callable[[], Awaitable[tuple[bool, str]]]
    """(finished, note): finished once the job ended or Slurm no longer knows it."""
    poll_interval: float = 2.0
    missing_hint: str = ""
    """Appended to the note when the file does not exist (why the path may be a guess)."""


def _probe_command(path: str) -> str:
    quoted = shlex.quote(path)
    return (
        f"if [ ! -e {quoted} ]; then exit {EXIT_MISSING}; "
        f"elif [ ! -r {quoted} ]; then ls -ld {quoted}; exit {EXIT_UNREADABLE}; fi"
    )


def idle_pause(previous: float, *, progressed: bool, cap: float) -> float:
    """Pause before re-following: none after progress, then 0.1 s doubling up to `cap`."""
    if progressed:
        return 0.0
    return min(cap, max(0.1, previous * 2))


def batches_of(job_id: str, lines: list[Line]) -> list[LogBatch]:
    """`lines` in batches of at most `MAX_LINES`, each with the offset after its last line."""
    return [
        LogBatch(job_id, tuple(text for text, _ in chunk), chunk[-1][1])
        for chunk in (lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES))
    ]


async def follow(
    pool: SshPool, source: LogSource, offset: int = 0
) -> AsyncGenerator[LogBatch, None]:
    """The job's output from byte `offset` on; ends (finished=True) once the job has ended.

    A dropped SSH connection is reopened and the follow resumes at the last complete line.

    Raises:
        ProviderError: the file exists but the login user cannot read it.
        SshError: the login host cannot be reached (again).
    """
    splitter = LineSplitter(max(0, offset))
    told_missing = False
    idle = 0.0
    while True:
        finished, note = await source.is_finished()
        status = await _run(pool, source.target, _probe_command(source.path))
        if status[0] == EXIT_UNREADABLE:
            raise ProviderError(
                f"cannot read the output of job {source.job_id}: {source.path} is not readable "
                f"by the login user ({status[1].strip() or 'permission denied'})",
                title="Job output unreadable",
            )
        if status[0] == EXIT_MISSING:
            if finished:
                gone = (
                    f"{source.path} does not exist: it was deleted or moved, or written where "
                    f"the login host cannot see it (a node-local disk){source.missing_hint}"
                )
                notes = tuple(n for n in (note, gone) if n)
                yield LogBatch(source.job_id, (), splitter.offset, finished=True, notes=notes)
                return
            if not told_missing:
                told_missing = True
                waiting = f"waiting for {source.path} to appear"
                yield LogBatch(source.job_id, (), splitter.offset, notes=(waiting,))
            await asyncio.sleep(source.poll_interval)
            continue
        if finished:
            async with aclosing(_read_rest(pool, source, splitter, note)) as rest:
                async for batch in rest:
                    yield batch
            return
        before = splitter.received
        async with aclosing(_follow_once(pool, source, splitter)) as live:
            async for batch in live:
                yield batch
        idle = idle_pause(idle, progressed=splitter.received > before, cap=source.poll_interval)
        splitter = LineSplitter(splitter.offset)  # re-read a held-back partial line
        await asyncio.sleep(idle)


async def _follow_once(
    pool: SshPool, source: LogSource, splitter: LineSplitter
) -> AsyncGenerator[LogBatch, None]:
    """Stream with `tail -F` until the job ends or the channel/connection closes."""
    command = f"exec tail -c +{splitter.offset + 1} -F -- {shlex.quote(source.path)} 2>/dev/null"
    async with await pool.process(source.target, command) as proc:
        while True:
            try:
                async with asyncio.timeout(source.poll_interval):
                    data = await proc.read(READ_CHUNK)
            except TimeoutError:
                finished, _ = await source.is_finished()
                if finished:
                    return
                continue
            except SshError:
                return  # connection lost: the caller reconnects and resumes
            if not data:
                return
            for batch in batches_of(source.job_id, splitter.feed_lines(data)):
                yield batch


async def _read_rest(
    pool: SshPool, source: LogSource, splitter: LineSplitter, note: str
) -> AsyncGenerator[LogBatch, None]:
    """Read a finished job's file to its end in chunks, then the final batch."""
    quoted = shlex.quote(source.path)
    while True:
        start = splitter.received + 1
        code, data = await _run_bytes(
            pool, source.target, f"tail -c +{start} -- {quoted} | head -c {READ_CHUNK}"
        )
        if code != 0:
            raise ProviderError(f"reading {source.path} failed (exit {code})")
        lines = splitter.feed_lines(data)
        if len(data) < READ_CHUNK:
            lines += splitter.flush_lines()
            batches = batches_of(source.job_id, lines) or [
                LogBatch(source.job_id, (), splitter.offset)
            ]
            last = batches[-1]
            notes = (note,) if note else ()
            for batch in batches[:-1]:
                yield batch
            yield LogBatch(last.job_id, last.lines, last.offset, finished=True, notes=notes)
            return
        for batch in batches_of(source.job_id, lines):
            yield batch


async def _run(pool: SshPool, target: SshTarget, command: str) -> tuple[int, str]:
    status, out, err = await pool.run(target, command, timeout=30)
    return status, out + err


async def _run_bytes(pool: SshPool, target: SshTarget, command: str) -> tuple[int, bytes]:
    result = await pool.run(target, command, timeout=60, binary=True)
    return result.status, result.stdout
