"""Running a demo node's shells and commands: a real PTY (or pipes) bridged to an SSH channel.

The child runs in a new session with the PTY slave as its controlling terminal. Bytes are pumped
both ways with `loop.add_reader`/`add_writer` on a non-blocking master, so the event loop never
blocks, and the child is reaped by asyncio's subprocess machinery (never `os.waitpid` in the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any

import asyncssh

_CHUNK = 65536
_OUTPUT_GRACE = 1.0
"""Seconds to keep reading output after the child exited (a background job may hold the tty)."""
_KILL_GRACE = 2.0
"""Seconds between SIGHUP and SIGKILL when a node shuts down."""


class Children:
    """The live child processes of one node, so they can all be stopped at shutdown."""

    def __init__(self) -> None:
        self._procs: set[asyncio.subprocess.Process] = set()

    def add(self, proc: asyncio.subprocess.Process) -> None:
        """Track `proc` until it exits (and forget children that already exited)."""
        self._procs = {p for p in self._procs if p.returncode is None}
        self._procs.add(proc)

    async def stop_all(self) -> None:
        """Hang up every child's process group, then kill what is left."""
        procs = [p for p in self._procs if p.returncode is None]
        for proc in procs:
            signal_group(proc, signal.SIGHUP)
        if not procs:
            return
        waits = [asyncio.ensure_future(p.wait()) for p in procs]
        _, pending = await asyncio.wait(waits, timeout=_KILL_GRACE)
        for proc in procs:
            if proc.returncode is None:
                signal_group(proc, signal.SIGKILL)
        if pending:
            await asyncio.wait(pending, timeout=_KILL_GRACE)
        self._procs.clear()


def signal_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    """Send `sig` to the child's process group (it leads its own session)."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def set_winsize(fd: int, cols: int, rows: int, xpix: int = 0, ypix: int = 0) -> None:
    """Resize the terminal on `fd`; the kernel sends SIGWINCH to its foreground group."""
    if cols <= 0 or rows <= 0:
        return
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, xpix, ypix))


async def read_fd(fd: int) -> bytes:
    """Read what is available on non-blocking `fd`, waiting for it; b"" at EOF (EIO on a pty)."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            return os.read(fd, _CHUNK)
        except BlockingIOError:
            pass
        except OSError as exc:
            if exc.errno == errno.EIO:
                return b""
            raise
        ready = loop.create_future()
        loop.add_reader(fd, _wake, ready)
        try:
            await ready
        finally:
            loop.remove_reader(fd)


async def write_fd(fd: int, data: bytes) -> None:
    """Write all of `data` to non-blocking `fd`, waiting while it is full."""
    loop = asyncio.get_running_loop()
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
            continue
        except BlockingIOError:
            pass
        ready = loop.create_future()
        loop.add_writer(fd, _wake, ready)
        try:
            await ready
        finally:
            loop.remove_writer(fd)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _take_controlling_tty() -> None:
    """In the child, after setsid(): make stdin (the pty slave) the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def run_session(
    process: asyncssh.SSHServerProcess[bytes],
    *,
    shell: str,
    cwd: Path,
    env: Mapping[str, str],
    children: Children,
) -> None:
    """Serve one SSH session: an interactive shell or a command, with or without a PTY."""
    if process.subsystem:
        process.stderr.write(f"subsystem {process.subsystem!r} is not available\r\n".encode())
        process.exit(1)
        return
    command = process.command
    argv = [shell] if command is None else [shell, "-c", command]
    full_env = {**os.environ, **env, "SHELL": shell, "PWD": str(cwd)}
    for stale in ("COLUMNS", "LINES", "TMUX", "TMUX_PANE"):  # the pty's, not the app's
        full_env.pop(stale, None)
    term = process.term_type
    try:
        if term:
            full_env["TERM"] = term
            status = await _run_pty(process, argv, cwd, full_env, children)
        else:
            status = await _run_pipes(process, argv, cwd, full_env, children)
    except OSError as exc:
        with contextlib.suppress(OSError, asyncssh.Error):
            process.stderr.write(f"clusterdeck demo: cannot start {shell}: {exc}\r\n".encode())
        status = 127
    _exit(process, status)


def _exit(process: asyncssh.SSHServerProcess[bytes], status: int) -> None:
    with contextlib.suppress(OSError, asyncssh.Error):
        if status < 0:
            name = signal.Signals(-status).name.removeprefix("SIG")
            process.exit_with_signal(name)
        else:
            process.exit(status)


async def _run_pty(
    process: asyncssh.SSHServerProcess[bytes],
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    children: Children,
) -> int:
    master, slave = pty.openpty()
    try:
        cols, rows, xpix, ypix = process.term_size
        set_winsize(master, cols, rows, xpix, ypix)
        os.set_blocking(master, False)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=_take_controlling_tty,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    children.add(proc)

    async def pump_out() -> None:
        while data := await read_fd(master):
            process.stdout.write(data)
            await process.stdout.drain()

    async def pump_in() -> None:
        while True:
            try:
                data = await process.stdin.read(_CHUNK)
            except asyncssh.TerminalSizeChanged as change:
                set_winsize(master, change.width, change.height, change.pixwidth, change.pixheight)
                continue
            except (asyncssh.SignalReceived, asyncssh.BreakReceived) as exc:
                _forward_signal(proc, exc)
                continue
            if not data:
                return  # EOF: a pty cannot be half-closed; the shell keeps running
            await write_fd(master, data)

    try:
        return await _supervise(process, proc, pump_out(), pump_in())
    finally:
        os.close(master)


async def _run_pipes(
    process: asyncssh.SSHServerProcess[bytes],
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    children: Children,
) -> int:
    pipe = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=pipe, stdout=pipe, stderr=pipe, cwd=cwd, env=env, start_new_session=True
    )
    children.add(proc)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr

    async def copy(source: asyncio.StreamReader, sink: asyncssh.SSHWriter[bytes]) -> None:
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()

    async def pump_out() -> None:
        await asyncio.gather(copy(stdout, process.stdout), copy(stderr, process.stderr))

    async def pump_in() -> None:
        while True:
            try:
                data = await process.stdin.read(_CHUNK)
            except (asyncssh.SignalReceived, asyncssh.BreakReceived) as exc:
                _forward_signal(proc, exc)
                continue
            except asyncssh.TerminalSizeChanged:
                continue
            if not data:
                with contextlib.suppress(OSError):
                    stdin.close()
                return
            stdin.write(data)
            await stdin.drain()

    return await _supervise(process, proc, pump_out(), pump_in())


async def _supervise(
    process: asyncssh.SSHServerProcess[bytes],
    proc: asyncio.subprocess.Process,
    out: Coroutine[Any, Any, None],
    into: Coroutine[Any, Any, None],
) -> int:
    """Run the pumps until the child exits; hang the child up if the channel closes first."""
    out_task = asyncio.ensure_future(out)
    in_task = asyncio.ensure_future(into)
    closed = asyncio.ensure_future(process.channel.wait_closed())
    exited = asyncio.ensure_future(proc.wait())
    try:
        await asyncio.wait({exited, closed}, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            signal_group(proc, signal.SIGHUP)
        status = await exited
        await asyncio.wait({out_task}, timeout=_OUTPUT_GRACE)
        return status
    finally:
        if not exited.done():
            signal_group(proc, signal.SIGHUP)  # cancelled: Children.stop_all() finishes the job
        for task in (out_task, in_task, closed, exited):
            task.cancel()
        await asyncio.gather(out_task, in_task, closed, exited, return_exceptions=True)


def _forward_signal(proc: asyncio.subprocess.Process, exc: Exception) -> None:
    if isinstance(exc, asyncssh.BreakReceived):
        signal_group(proc, signal.SIGINT)
        return
    name = getattr(exc, "signal", "")
    sig = getattr(signal, f"SIG{name}", None)
    if isinstance(sig, signal.Signals):
        signal_group(proc, sig)
