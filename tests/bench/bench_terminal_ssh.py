"""Benchmark: the embedded terminal over SSH — `cat` throughput and keystroke-to-echo latency.

Run: `.venv/bin/python tests/bench/bench_terminal_ssh.py [--mb 200] [--runs 3] [--keys 200]`
(as root: it starts a private OpenSSH sshd on 127.0.0.1, see tests/integration/sshd.py).
Writes results/terminal_ssh.md.

1. Throughput, setup excluded on both sides: the remote runs `echo __START__; cat FILE; echo
   __DONE__` over a PTY. The clock starts when the start marker arrives and stops, for
   OpenSSH (`ssh -tt -c aes128-gcm@openssh.com host ... | reader`), when the end marker
   arrives; for ours (a 200x50 `TerminalView` on an already open pooled connection, in a
   Textual app whose driver is not headless but writes to nowhere, so the compositor also
   produces its escape sequences) when the first frame that shows the end marker has been
   written out. A base64 file and a file of SGR-coloured lines, interleaved runs, medians.
2. Keystroke-to-echo latency: a shell runs `cat` (cooked tty: the pty echoes each key). One
   key goes in and the clock stops at its echo: for `ssh -tt` in a pty we own, when the echo is
   read from the pty; for ours, a Key event posted to the app (as the input driver would) until
   a frame whose cursor row shows the echo has been written out; for raw asyncssh, when the
   echo arrives in `data_received`. Idle, and beside a flood (`cat /dev/urandom | base64`): for
   ours a second `TerminalView` in the same app, for asyncssh a drained session on the same
   connection, for OpenSSH a second `ssh -tt` whose output goes to /dev/null.

The machine may be shared: every trial starts once it is quiet (up to 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import os
import platform
import pty
import random
import shutil
import statistics
import string
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncssh
from textual import events
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.drivers.headless_driver import HeadlessDriver
from textual.strip import Strip

from tests.bench._sshd_bench import CpuMeter, wait_for_quiet
from tests.bench._table import Row, publish
from tests.bench.bench_terminal_emulator import sgr_stream
from tests.integration.sshd import SshdServer, running_sshd
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SshShellBackend
from widgets.terminal.messages import Exited
from widgets.terminal.view import TerminalView

COLS, ROWS = 200, 50
"""The terminal size for the throughput runs (the screen is two rows taller)."""
HALF_ROWS = 26
"""Each pane's height in the latency runs (two panes on the 200x52 screen)."""
TERM = "xterm-256color"
FLOOD = "cat /dev/urandom | base64"
LINE_KEYS = 50
"""Keys typed per line before Enter (cat then prints the line back)."""
START_CAT = 'stty -echoctl; echo RE""ADY; exec cat\r'
"""Typed into the shell: the echo shows `RE""ADY`, the output `READY`, then cat reads lines."""
GCM = "aes128-gcm@openssh.com"
START, DONE = "__START__", "__DONE__"
"""Markers around the measured output (neither base64 nor the coloured file has `_`)."""
WAIT = 30.0
"""Seconds any single step may take before the benchmark gives up."""


def median_range(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """`median [min-max]`."""
    low, mid, high = (fmt.format(v) for v in (min(values), statistics.median(values), max(values)))
    return f"{mid} [{low}-{high}]"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def make_text_file(path: Path, megabytes: float) -> int:
    """Write about `megabytes` MB of base64 lines (76 chars + LF); returns the size."""
    target = int(megabytes * 1e6)
    block = base64.encodebytes(random.Random(7).randbytes(3 * 1024 * 1024))
    written, piece = 0, b"\n"
    with path.open("wb") as out:
        while written < target:
            piece = block[: target - written] if target - written < len(block) else block
            out.write(piece)
            written += len(piece)
        if not piece.endswith(b"\n"):
            out.write(b"\n")
            written += 1
    return written


def make_colour_file(path: Path, megabytes: float) -> int:
    """Write about `megabytes` MB of 256-colour and truecolor lines (LF); returns the size."""
    data = sgr_stream(int(megabytes * 1e6), random.Random(7)).replace(b"\r\n", b"\n")
    path.write_bytes(data)
    return len(data)


async def wait_until(check: Callable[[], bool], what: str, within: float = WAIT) -> None:
    """Poll `check` (not for measured intervals: those are event-driven)."""
    for _ in range(int(within / 0.005)):
        if check():
            return
        await asyncio.sleep(0.005)
    raise TimeoutError(f"timed out waiting for {what}")


# --- the Textual side ---------------------------------------------------------------------------


class NullDriver(HeadlessDriver):
    """A headless driver that says it is not: Textual then encodes every frame and writes it."""

    written = 0
    """Characters of terminal output produced (by all apps)."""

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        NullDriver.written += len(data)


class CountingBackend(SshShellBackend):
    """`SshShellBackend` that counts what the view read and notes when `START` arrived."""

    received = 0
    started_at = 0.0

    async def read(self) -> bytes:
        data = await super().read()
        if not self.started_at and START.encode() in data:
            self.started_at = time.perf_counter()
        self.received += len(data)
        return data


class BenchView(TerminalView):
    """A `TerminalView` that notes when its session ended and when a frame showed `expect`."""

    def __init__(self, backend: CountingBackend) -> None:
        super().__init__(backend)
        self.counter = backend
        self.ended = asyncio.Event()
        self.expect: str | None = None
        """Text the cursor row should show (or any row, with `anywhere`); `painted` turns
        True once a frame drew it."""
        self.anywhere = False
        self.painted = False

    def on_terminal_view_exited(self, event: Exited) -> None:
        self.ended.set()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.expect is not None and not self.painted:
            if self.anywhere:
                self.painted = self.expect in strip.text
            elif y == self.model.emulator.cursor[1]:
                self.painted = strip.text.rstrip() == self.expect
        return strip


class BenchApp(App[None]):
    """Panes stacked in a column; `echoed` is set once a frame with the probe's echo is out."""

    def __init__(self) -> None:
        super().__init__(driver_class=NullDriver)
        self.probe: BenchView | None = None
        self.echoed = asyncio.Event()
        self.echoed_at = 0.0

    def compose(self) -> ComposeResult:
        yield Vertical(id="panes")

    async def add(self, view: BenchView, rows: int) -> None:
        """Mount `view` with `rows` rows below the others."""
        view.styles.height = rows
        await self.query_one("#panes", Vertical).mount(view)

    def post_display_hook(self) -> None:
        probe = self.probe
        if probe is not None and probe.painted and not self.echoed.is_set():
            self.echoed_at = time.perf_counter()
            self.echoed.set()


# --- bare asyncssh sessions ---------------------------------------------------------------------


class DrainSession(asyncssh.SSHClientSession[bytes]):
    """Counts and discards output."""

    def __init__(self) -> None:
        self.received = 0

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.received += len(data)


class EchoSession(asyncssh.SSHClientSession[bytes]):
    """Collects output and wakes a waiter once it contains `want`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.want = b""
        self.seen = asyncio.Event()
        self.seen_at = 0.0

    def expect(self, want: bytes) -> None:
        """Forget the output so far and wait for `want`."""
        self.buffer.clear()
        self.want = want
        self.seen.clear()

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.buffer += data
        if self.want and not self.seen.is_set() and self.want in self.buffer:
            self.seen_at = time.perf_counter()
            self.seen.set()


async def hang_up(chan: asyncssh.SSHClientChannel[bytes]) -> None:
    """Close a session as a closing terminal would: SIGHUP, close, wait (bounded)."""
    with contextlib.suppress(asyncssh.Error, OSError, ValueError):
        chan.send_signal("HUP")
    chan.close()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            await chan.wait_closed()


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class Latency:
    """One latency series."""

    ms: list[float]
    flood_rate: float
    """MB/s the flooding session delivered meanwhile (0 without one)."""


def marked(path: Path) -> str:
    """The remote command of a throughput run."""
    return f"echo {START}; cat {path}; echo {DONE}"


def read_marked(proc: subprocess.Popen[bytes]) -> float:
    """Read `proc`'s output until `DONE`; the seconds from `START`'s arrival to `DONE`'s."""
    assert proc.stdout is not None
    fd, tail, started = proc.stdout.fileno(), b"", 0.0
    while chunk := os.read(fd, 1 << 20):
        now = time.perf_counter()
        window = tail + chunk
        if not started and START.encode() in window:
            started, window = now, window[window.index(START.encode()) :]
        if started and DONE.encode() in window:
            return now - started
        tail = window[-16:]
    raise RuntimeError("ssh output ended before the end marker")


def set_size(fd: int, cols: int, rows: int) -> None:
    """Set a pty's window size."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@dataclass
class Bench:
    """The sshd, the pool on it and the file to cat."""

    server: SshdServer
    pool: SshPool
    known_hosts: Path
    data: Path
    size: int
    meter: CpuMeter = field(init=False)

    def __post_init__(self) -> None:
        assert self.server.proc is not None, "sshd is not running"
        self.meter = CpuMeter(self.server.proc.pid)

    def ssh_args(self, *command: str) -> list[str]:
        """OpenSSH client with a forced PTY and clusterdeck's cipher, only our key and
        known_hosts, no user config."""
        options = {
            "UserKnownHostsFile": str(self.known_hosts),
            "GlobalKnownHostsFile": "/dev/null",
            "StrictHostKeyChecking": "yes",
            "BatchMode": "yes",
            "IdentitiesOnly": "yes",
            "LogLevel": "ERROR",
        }
        args = ["ssh", "-tt", "-F", "/dev/null", "-c", GCM, "-p", str(self.server.port)]
        args += ["-i", str(self.server.client_key)]
        for key, value in options.items():
            args += ["-o", f"{key}={value}"]
        return [*args, f"{self.server.user}@127.0.0.1", *command]

    async def openssh_cat(self) -> float:
        """The anchor: `ssh -tt host 'echo START; cat FILE; echo DONE'`, timed between the
        markers as they are read from its stdout."""
        proc = subprocess.Popen(  # noqa: ASYNC220 (spawning is quick)
            self.ssh_args(marked(self.data)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            return await asyncio.to_thread(read_marked, proc)
        finally:
            proc.wait(timeout=WAIT)

    async def view_cat(self) -> float:
        """Ours: a 200x50 `TerminalView`, from `START` read to the first frame showing `DONE`."""
        await self.pool.connect(self.server.target())  # setup excluded: the pool is warm
        backend = CountingBackend(self.pool, self.server.target(), command=marked(self.data))
        view = BenchView(backend)
        view.expect, view.anywhere = DONE, True
        app = BenchApp()
        async with app.run_test(headless=False, size=(COLS, ROWS + 2)):
            app.probe = view
            await app.add(view, ROWS)
            view.focus()
            async with asyncio.timeout(WAIT * 4):
                await app.echoed.wait()
                await view.ended.wait()
            exit_info = backend.exit_info
            if exit_info is None or exit_info.exit_status != 0 or not backend.started_at:
                raise RuntimeError(f"terminal run ended badly: {exit_info}")
            await view.remove()
        return app.echoed_at - backend.started_at

    async def throughput(self, runs: int) -> dict[str, list[float]]:
        """Seconds per run of OpenSSH and ours, interleaved, each once the machine is quiet."""
        configs: dict[str, Callable[[], Awaitable[float]]] = {
            "openssh": self.openssh_cat,
            "ours": self.view_cat,
        }
        seconds: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(runs):
            for name, run in configs.items():
                await wait_for_quiet()
                seconds[name].append(await run())
        return seconds

    # --- latency --------------------------------------------------------------------------------

    async def raw_latency(self, keys: int, *, flood: bool) -> Latency:
        """Key-to-echo over a bare asyncssh shell (ms), and the flood's MB/s if one ran."""
        conn = (await self.pool.connect(self.server.target()))._conn  # bare asyncssh
        echo = EchoSession()
        chan, _ = await conn.create_session(
            lambda: echo, term_type=TERM, term_size=(COLS, HALF_ROWS), encoding=None
        )
        flood_chan: asyncssh.SSHClientChannel[bytes] | None = None
        drain = DrainSession() if flood else None
        try:
            echo.expect(b"READY\r\n")
            chan.write(START_CAT.encode())
            await asyncio.wait_for(echo.seen.wait(), WAIT)
            if drain is not None:
                flood_chan, _ = await conn.create_session(
                    lambda: drain, FLOOD, term_type=TERM, term_size=(COLS, HALF_ROWS), encoding=None
                )
                await wait_until(lambda: drain.received > 1 << 20, "flood")
            await wait_for_quiet()
            started, flooded = time.perf_counter(), drain.received if drain else 0

            async def press(data: bytes, line: str) -> float:
                echo.expect(data if data != b"\r" else line.encode() + b"\r\n")
                sent = time.perf_counter()
                chan.write(data)
                await asyncio.wait_for(echo.seen.wait(), WAIT)
                return echo.seen_at - sent

            latencies = await type_keys(keys, press)
            wall = time.perf_counter() - started
            rate = (drain.received - flooded) / 1e6 / wall if drain else 0.0
        finally:
            if flood_chan is not None:
                await hang_up(flood_chan)
            await hang_up(chan)
        return Latency(latencies, rate)

    async def openssh_latency(self, keys: int, *, flood: bool) -> Latency:
        """Key-to-echo through `ssh -tt` running in a pty of ours: a key into the pty, the
        clock stopping when its echo is read back; beside a second `ssh -tt` flooding."""
        master, slave = pty.openpty()
        set_size(slave, COLS, HALF_ROWS)
        proc = subprocess.Popen(  # noqa: ASYNC220
            self.ssh_args(), stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        flooder: subprocess.Popen[bytes] | None = None
        echo = EchoSession()
        loop = asyncio.get_running_loop()

        def readable() -> None:
            with contextlib.suppress(OSError):
                echo.data_received(os.read(master, 65536), None)

        loop.add_reader(master, readable)
        try:
            echo.expect(b"READY\r\n")
            os.write(master, START_CAT.encode())
            await asyncio.wait_for(echo.seen.wait(), WAIT)
            if flood:
                flooder = subprocess.Popen(  # noqa: ASYNC220
                    self.ssh_args(FLOOD), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
                )
                await asyncio.sleep(0.5)  # not a measurement: let the flood get going
            await wait_for_quiet()

            async def press(data: bytes, line: str) -> float:
                echo.expect(data if data != b"\r" else line.encode() + b"\r\n")
                sent = time.perf_counter()
                os.write(master, data)
                await asyncio.wait_for(echo.seen.wait(), WAIT)
                return echo.seen_at - sent

            latencies = await type_keys(keys, press)
        finally:
            loop.remove_reader(master)
            for child in (flooder, proc):
                if child is not None:
                    child.terminate()
                    child.wait(timeout=WAIT)
            os.close(master)
        return Latency(latencies, 0.0)

    async def view_latency(self, keys: int, *, flood: bool) -> Latency:
        """Key-to-echo through the app into a `TerminalView` (ms), and the flood pane's MB/s."""
        app = BenchApp()
        probe = BenchView(CountingBackend(self.pool, self.server.target()))
        async with app.run_test(headless=False, size=(COLS, ROWS + 2)):
            await app.add(probe, HALF_ROWS)
            probe.focus()
            await wait_until(lambda: probe.running, "the shell")
            probe.send(START_CAT.encode())
            await wait_until(lambda: "READY" in probe.screen_text(), "cat")
            flooder: BenchView | None = None
            if flood:
                flooder = BenchView(CountingBackend(self.pool, self.server.target(), command=FLOOD))
                await app.add(flooder, HALF_ROWS)
                await wait_until(
                    lambda: flooder is not None and flooder.counter.received > 1 << 20, "flood"
                )
            app.probe = probe
            await wait_for_quiet()
            started, flooded = time.perf_counter(), flooder.counter.received if flooder else 0

            async def press(data: bytes, line: str) -> float:
                enter = data == b"\r"
                probe.expect = None if enter else line
                probe.painted = False
                app.echoed.clear()
                sent = time.perf_counter()
                app.post_message(events.Key("enter" if enter else line[-1], data.decode()))
                if enter:  # not measured: wait until cat printed the line back
                    await wait_until(lambda: screen_ends_with(probe, line), "cat's line")
                    return 0.0
                await asyncio.wait_for(app.echoed.wait(), WAIT)
                return app.echoed_at - sent

            latencies = await type_keys(keys, press)
            wall = time.perf_counter() - started
            rate = (flooder.counter.received - flooded) / 1e6 / wall if flooder else 0.0
            app.probe = None
            if flooder is not None:
                await flooder.remove()
            await probe.remove()
        return Latency(latencies, rate)


def screen_ends_with(view: BenchView, line: str) -> bool:
    """The cursor row is empty and the two rows above show `line` (its echo and cat's copy)."""
    rows = view.screen_text()
    y = view.model.emulator.cursor[1]
    return y >= 2 and rows[y] == "" and rows[y - 1] == line and rows[y - 2] == line


async def type_keys(count: int, press: Callable[[bytes, str], Awaitable[float]]) -> list[float]:
    """Type `count` letters (Enter after every `LINE_KEYS`); the letters' latencies in ms.

    `press(data, line)` sends `data` (a letter, or CR) and returns the seconds until its echo
    was seen; `line` is the line typed so far (for CR: the whole line, which cat prints back).
    """
    rng = random.Random(1)
    latencies: list[float] = []
    line = ""
    for i in range(count):
        char = string.ascii_lowercase[(i * 7 + i // LINE_KEYS) % 26]
        line += char
        latencies.append(1000 * await press(char.encode(), line))
        await asyncio.sleep(rng.uniform(0.002, 0.012))  # off the frame clock
        if len(line) == LINE_KEYS or i == count - 1:
            await press(b"\r", line)
            line = ""
    return latencies


# --- report -------------------------------------------------------------------------------------


def versions() -> str:
    """The machine and the versions measured."""
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    pkgs = ", ".join(f"{name} {metadata.version(name)}" for name in ("textual", "pyavt"))
    return (
        f"Python {platform.python_version()}, asyncssh {asyncssh.__version__}, {pkgs}, {ssh}; "
        f"load {os.getloadavg()[0]:.2f} at the start"
    )


def med(values: Iterable[float]) -> float:
    """The median."""
    return statistics.median(list(values))


def throughput_rows(size: int, seconds: dict[str, list[float]], kind: str) -> list[Row]:
    """MB/s medians, ours against OpenSSH."""
    return [
        Row(
            f"`cat` {size / 1e6:.0f} MB {kind}, setup excluded",
            size / 1e6 / med(seconds["ours"]),
            size / 1e6 / med(seconds["openssh"]),
            "OpenSSH `ssh -tt`, aes128-gcm",
            "MB/s",
            goal=1.0,
        )
    ]


def latency_rows(results: dict[str, Latency]) -> list[Row]:
    """p50 and p95 key-to-echo, ours against `ssh -tt` (with goals) and raw asyncssh."""
    rows: list[Row] = []
    goals = {("idle", 50): 3.0, ("idle", 95): 8.0, ("flood", 95): 16.0}
    for case, label in (("idle", "idle"), ("flood", "beside a flood")):
        ours = results[f"ours {case}"].ms
        for pct in (50, 95):
            mine = percentile(ours, pct)
            goal = goals.get((case, pct))
            for anchor, name in (("openssh", "`ssh -tt` in a pty"), ("raw", "raw asyncssh")):
                theirs = percentile(results[f"{anchor} {case}"].ms, pct)
                main = anchor == "openssh" and goal is not None
                rows.append(
                    Row(
                        f"echo p{pct}, {label}",
                        mine,
                        theirs,
                        name,
                        "ms",
                        higher_is_better=False,
                        goal_text=f"<= {goal:g} ms" if main and goal else "",
                        met=mine <= goal if main and goal else None,
                    )
                )
    return rows


async def run(server: SshdServer, base: Path, args: argparse.Namespace) -> None:
    """All measurements on one sshd; publishes the table."""
    known_hosts = server.write_known_hosts(base / "known_hosts")
    data = server.shared_dir() / "data.txt"  # the login user reads it
    size = await asyncio.to_thread(make_text_file, data, args.mb)
    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, ssh_config_paths=[])
    rows: list[Row] = []
    notes: list[str] = []
    try:
        cipher = (await pool.connect(server.target())).cipher
        bench = Bench(server, pool, known_hosts, data, size)
        if args.runs:
            seconds = await bench.throughput(args.runs)
            rows += throughput_rows(size, seconds, "base64")
        if args.runs and args.colour_mb:
            colour = server.shared_dir() / "colour.txt"
            colour_size = await asyncio.to_thread(make_colour_file, colour, args.colour_mb)
            seconds = await replace(bench, data=colour, size=colour_size).throughput(args.runs)
            rows += throughput_rows(colour_size, seconds, "SGR-coloured")
        if args.keys:
            results: dict[str, Latency] = {}
            for flood in (False, True):
                case = "flood" if flood else "idle"
                for name, measure in (
                    ("openssh", bench.openssh_latency),
                    ("raw", bench.raw_latency),
                    ("ours", bench.view_latency),
                ):
                    results[f"{name} {case}"] = await measure(args.keys, flood=flood)
            rows += latency_rows(results)
            notes.append(
                f"The flooding pane delivered {results['ours flood'].flood_rate:.1f} MB/s "
                f"meanwhile (asyncssh's drained flood: {results['raw flood'].flood_rate:.1f})."
            )
    finally:
        await pool.close()
    note = (
        f"{versions()}. clusterdeck negotiated {cipher}. Throughput: {args.runs} interleaved "
        f"runs, medians; the clock runs from the arrival of the start marker to the first "
        f"frame showing the end marker (OpenSSH: to the end marker read from its stdout). "
        f"Echo: {args.keys} keys per config, typed 2-12 ms after the previous echo. "
        + " ".join(notes)
    )
    publish("terminal_ssh", "Terminal over SSH", rows, note=note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the file to cat, MB")
    parser.add_argument(
        "--colour-mb", type=float, default=50, help="size of the coloured file, MB (0: skip)"
    )
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per config (0: skip)")
    parser.add_argument("--keys", type=int, default=200, help="keystrokes per config (0: skip)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-terminal-ssh-"))
    try:
        with running_sshd(base / "sshd") as server:
            asyncio.run(run(server, base, args))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
