"""Benchmark: the embedded terminal over SSH — `cat` throughput and keystroke-to-echo latency.

Run: `.venv/bin/python tests/bench/bench_terminal_ssh.py [--mb 200] [--runs 3] [--keys 200]`
(as root: it starts a private OpenSSH sshd on 127.0.0.1, see tests/integration/sshd.py).

1. Throughput: `cat` of a base64 text file over a PTY channel, interleaved runs, medians.
   Anchors in the same run on the same sshd: `ssh -tt host cat FILE > /dev/null` (OpenSSH),
   a bare asyncssh session that discards the output, and `SshShellBackend` drained without a
   view. "Ours" is a `TerminalView` (200x50) in a Textual app whose driver is not headless but
   writes to nowhere, so the compositor also produces its escape sequences. Then the same
   against OpenSSH for a file of SGR-coloured lines (`--colour-mb`), which every byte of goes
   through the emulator (no plain-text backlog fast path).
2. Keystroke-to-echo latency: a shell runs `cat` (cooked tty: the pty echoes each key). A Key
   event is posted to the app (as the input driver would) and the clock stops when a frame
   whose cursor row shows the echo has been written out. Idle, and while a second
   `TerminalView` in the same app shows `cat /dev/urandom | base64`. The floor is the same over
   a bare asyncssh session (optionally beside a drained flood on the same connection).

The machine may be shared: every trial starts once it is quiet (up to 3 s) and reports the
cores other processes used meanwhile ("foreign"), next to our and sshd's CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import platform
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
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

from tests.bench._sshd_bench import CpuMeter, CpuUse, wait_for_quiet
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
OPENSSH = "OpenSSH `ssh -tt` > /dev/null"
OURS = "**TerminalView 200x50 (ours)**"
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
    """`SshShellBackend` that counts what the view read."""

    received = 0

    async def read(self) -> bytes:
        data = await super().read()
        self.received += len(data)
        return data


class BenchView(TerminalView):
    """A `TerminalView` that notes when its session ended and when a row showed `expect`."""

    def __init__(self, backend: CountingBackend) -> None:
        super().__init__(backend)
        self.counter = backend
        self.ended = asyncio.Event()
        self.ended_at = 0.0
        self.expect: str | None = None
        """Text the cursor row should show; `painted` turns True once a frame drew it."""
        self.painted = False

    def on_terminal_view_exited(self, event: Exited) -> None:
        self.ended_at = time.perf_counter()
        self.ended.set()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.expect is not None and not self.painted and y == self.model.emulator.cursor[1]:
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
class Sample:
    """One throughput run."""

    seconds: float
    use: CpuUse
    received: int


@dataclass
class Latency:
    """One latency series."""

    ms: list[float]
    flood_rate: float
    """MB/s the flooding session delivered meanwhile (0 without one)."""
    use: CpuUse


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
        """OpenSSH client with a forced PTY, only our key and known_hosts, no user config."""
        options = {
            "UserKnownHostsFile": str(self.known_hosts),
            "GlobalKnownHostsFile": "/dev/null",
            "StrictHostKeyChecking": "yes",
            "BatchMode": "yes",
            "IdentitiesOnly": "yes",
            "LogLevel": "ERROR",
        }
        args = ["ssh", "-tt", "-F", "/dev/null", "-p", str(self.server.port)]
        args += ["-i", str(self.server.client_key)]
        for key, value in options.items():
            args += ["-o", f"{key}={value}"]
        return [*args, f"{self.server.user}@127.0.0.1", *command]

    async def openssh(self, *command: str) -> Sample:
        """Run `ssh -tt host command > /dev/null`; wall time includes connecting."""
        self.meter.start()
        proc = await asyncio.create_subprocess_exec(
            *self.ssh_args(*command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, err = await proc.communicate()
        use = self.meter.stop()
        if proc.returncode:
            raise RuntimeError(f"ssh exited with {proc.returncode}: {err.decode()[-500:]}")
        return Sample(use.wall, use, self.size)

    async def openssh_cat(self) -> Sample:
        """The anchor: OpenSSH's client with a PTY."""
        return await self.openssh("cat", str(self.data))

    async def asyncssh_cat(self) -> Sample:
        """A bare asyncssh PTY session whose output is counted and dropped."""
        conn = (await self.pool.connect(self.server.target()))._conn  # bare asyncssh
        self.meter.start()
        session = DrainSession()
        chan, _ = await conn.create_session(
            lambda: session,
            f"cat {self.data}",
            term_type=TERM,
            term_size=(COLS, ROWS),
            encoding=None,
        )
        try:
            async with asyncio.timeout(WAIT * 4):
                await chan.wait_closed()
            use = self.meter.stop()
        finally:
            await hang_up(chan)
        return Sample(use.wall, use, session.received)

    async def backend_cat(self) -> Sample:
        """`SshShellBackend` drained by a plain loop: the backend without the terminal."""
        backend = CountingBackend(self.pool, self.server.target(), command=f"cat {self.data}")
        self.meter.start()
        try:
            await backend.start(COLS, ROWS)
            async with asyncio.timeout(WAIT * 4):
                while await backend.read():
                    pass
            use = self.meter.stop()
        finally:
            await backend.close()
        return Sample(use.wall, use, backend.received)

    async def view_cat(self) -> Sample:
        """Ours: a 200x50 `TerminalView` running `cat FILE; echo __DONE__` until it exits."""
        command = f"cat {self.data}; echo __DONE__"
        view = BenchView(CountingBackend(self.pool, self.server.target(), command=command))
        app = BenchApp()
        async with app.run_test(headless=False, size=(COLS, ROWS + 2)):
            self.meter.start()
            start = time.perf_counter()
            await app.add(view, ROWS)
            view.focus()
            async with asyncio.timeout(WAIT * 4):
                await view.ended.wait()
            use = self.meter.stop()
            sample = Sample(view.ended_at - start, use, view.counter.received)
            exit_info = view.counter.exit_info
            screen = view.screen_text()
            if exit_info is None or exit_info.exit_status != 0 or "__DONE__" not in screen:
                raise RuntimeError(f"terminal run ended badly: {exit_info}, {screen[-3:]}")
            await view.remove()
        return sample

    async def throughput(
        self, runs: int, *, anchors_only: bool = False
    ) -> tuple[list[float], dict[str, list[Sample]]]:
        """Interleaved runs of every config (or only OpenSSH and ours), each once the machine
        is quiet; also times `ssh -tt host true` (OpenSSH's connect and exit)."""
        configs: dict[str, Callable[[], Awaitable[Sample]]] = {OPENSSH: self.openssh_cat}
        if not anchors_only:
            configs["asyncssh session, output dropped"] = self.asyncssh_cat
            configs["SshShellBackend drained, no view"] = self.backend_cat
        configs[OURS] = self.view_cat
        setup = [(await self.openssh("true")).seconds for _ in range(3)]
        samples: dict[str, list[Sample]] = {name: [] for name in configs}
        for _ in range(runs):
            for name, run in configs.items():
                await wait_for_quiet()
                samples[name].append(await run())
        return setup, samples

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
            self.meter.start()
            flooded = drain.received if drain else 0

            async def press(data: bytes, line: str) -> float:
                echo.expect(data if data != b"\r" else line.encode() + b"\r\n")
                sent = time.perf_counter()
                chan.write(data)
                await asyncio.wait_for(echo.seen.wait(), WAIT)
                return echo.seen_at - sent

            latencies = await type_keys(keys, press)
            use = self.meter.stop()
            rate = (drain.received - flooded) / 1e6 / use.wall if drain else 0.0
        finally:
            if flood_chan is not None:
                await hang_up(flood_chan)
            await hang_up(chan)
        return Latency(latencies, rate, use)

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
            self.meter.start()
            flooded = flooder.counter.received if flooder else 0

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
            use = self.meter.stop()
            rate = (flooder.counter.received - flooded) / 1e6 / use.wall if flooder else 0.0
            app.probe = None
            if flooder is not None:
                await flooder.remove()
            await probe.remove()
        return Latency(latencies, rate, use)


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
    """One header line: the machine and the versions measured."""
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    pkgs = ", ".join(f"{name} {metadata.version(name)}" for name in ("textual", "pyavt"))
    return (
        f"Python {platform.python_version()}, asyncssh {asyncssh.__version__}, {pkgs}, {ssh}; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )


def med(values: Iterable[float]) -> float:
    """The median."""
    return statistics.median(list(values))


def throughput_table(
    size: int, setup: list[float], samples: dict[str, list[Sample]], kind: str = "base64"
) -> str:
    """Markdown: MB/s per config, CPU, and the ratio to OpenSSH (median of per-run ratios)."""
    setup_s = med(setup)
    openssh = samples[OPENSSH]
    lines = [
        f"#### `cat` of a {size / 1e6:.0f} MB {kind} file over a PTY, {len(openssh)} interleaved "
        f"runs (OpenSSH connect+exit, from `ssh -tt host true`: {setup_s * 1000:.0f} ms)",
        "",
        "| config | MB/s median [min-max] | s | client CPU s | sshd+cat CPU s "
        "| x OpenSSH | x OpenSSH minus setup | foreign cores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in samples.items():
        pairs = list(zip(openssh, runs, strict=True))
        rate = median_range([size / 1e6 / s.seconds for s in runs])
        if runs is openssh:
            rate += f" ({size / 1e6 / max(med(s.seconds for s in runs) - setup_s, 1e-3):.1f} net)"
        ratio = f"{med(o.seconds / s.seconds for o, s in pairs):.2f}"
        net = f"{med(max(o.seconds - setup_s, 1e-3) / s.seconds for o, s in pairs):.2f}"
        if runs is openssh:
            net = "-"
        client = med(s.use.ours + s.use.children for s in runs)
        lines.append(
            f"| {name} | {rate} | {med(s.seconds for s in runs):.2f} | {client:.2f} "
            f"| {med(s.use.server for s in runs):.2f} | {ratio} | {net} "
            f"| {med(s.use.foreign_cores for s in runs):.2f} |"
        )
    received = sorted({s.received for runs in list(samples.values())[1:] for s in runs})
    lines += [
        "",
        f"Bytes received per run (LF became CR LF): {', '.join(f'{r:,}' for r in received)}. "
        "Goal: ours >= 0.6 x OpenSSH. Foreign cores: CPU used by other processes meanwhile.",
    ]
    return "\n".join(lines)


def latency_table(keys: int, rows: list[tuple[str, Latency]]) -> str:
    """Markdown: key-to-echo p50/p95/max per config."""
    lines = [
        f"#### Keystroke to echo, {keys} keys, ms (pty echo under `cat`; flood: `{FLOOD}`)",
        "",
        "| config | p50 | p95 | max | flood MB/s | client CPU s | sshd CPU s | foreign cores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, result in rows:
        values, use = result.ms, result.use
        rate = f"{result.flood_rate:.1f}" if result.flood_rate else "-"
        lines.append(
            f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} "
            f"| {max(values):.1f} | {rate} | {use.ours:.2f} | {use.server:.2f} "
            f"| {use.foreign_cores:.2f} |"
        )
    lines += ["", "Goal: ours p95 <= 50 ms while the other pane floods."]
    return "\n".join(lines)


async def run(server: SshdServer, base: Path, args: argparse.Namespace) -> None:
    """All measurements on one sshd; prints the tables."""
    known_hosts = server.write_known_hosts(base / "known_hosts")
    data = server.shared_dir() / "data.txt"  # the login user reads it
    size = await asyncio.to_thread(make_text_file, data, args.mb)
    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, ssh_config_paths=[])
    try:
        cipher = (await pool.connect(server.target())).cipher
        bench = Bench(server, pool, known_hosts, data, size)
        print(f"asyncssh cipher: {cipher}; OpenSSH: its defaults\n", flush=True)
        if args.runs:
            setup, samples = await bench.throughput(args.runs)
            print(throughput_table(size, setup, samples) + "\n", flush=True)
        if args.runs and args.colour_mb:
            colour = server.shared_dir() / "colour.txt"
            colour_size = await asyncio.to_thread(make_colour_file, colour, args.colour_mb)
            colour_bench = replace(bench, data=colour, size=colour_size)
            setup, samples = await colour_bench.throughput(args.runs, anchors_only=True)
            table = throughput_table(colour_size, setup, samples, "SGR-coloured")
            print(table + "\n", flush=True)
        if args.keys:
            rows: list[tuple[str, Latency]] = []
            for name, measure, flood in (
                ("asyncssh session, idle (floor)", bench.raw_latency, False),
                ("**TerminalView, idle**", bench.view_latency, False),
                ("asyncssh session, flood on the same connection", bench.raw_latency, True),
                ("**TerminalView, other pane flooding**", bench.view_latency, True),
            ):
                rows.append((name, await measure(args.keys, flood=flood)))
            print(latency_table(args.keys, rows), flush=True)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the file to cat, MB")
    parser.add_argument(
        "--colour-mb", type=float, default=50, help="size of the coloured file, MB (0: skip)"
    )
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per config (0: skip)")
    parser.add_argument("--keys", type=int, default=200, help="keystrokes per config (0: skip)")
    args = parser.parse_args()
    print(versions() + "\n", flush=True)
    base = Path(tempfile.mkdtemp(prefix="bench-terminal-ssh-"))
    try:
        with running_sshd(base / "sshd") as server:
            asyncio.run(run(server, base, args))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"\nTextual output written (all apps): {NullDriver.written / 1e6:.1f} M chars")


if __name__ == "__main__":
    main()
