"""Keystroke-to-echo in a shell pane while a big download runs in the same app (the Files
benchmark's responsiveness figure), reusing the terminal benchmark's probe."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import events

from tests.bench.bench_terminal_ssh import (
    COLS,
    HALF_ROWS,
    ROWS,
    START_CAT,
    WAIT,
    BenchApp,
    BenchView,
    CountingBackend,
    percentile,
    screen_ends_with,
    type_keys,
    wait_until,
)
from tests.integration.sshd import SshdServer
from tui.core.ssh.pool import SshPool
from tui.core.transfers import Conflict, Direction, Progress, TransferRun, TransferSpec


async def echo_during_download(
    server: SshdServer, known_hosts: Path, remote: Path, local: Path, keys: int
) -> tuple[float, float, float]:
    """(p50 ms, p95 ms, MB/s of the downloads meanwhile): `keys` letters typed into `cat` in
    a shell tab while the file at `remote` is downloaded again and again."""
    pool = SshPool(known_hosts_paths=[known_hosts], ssh_config_paths=[], use_agent=False)
    app = BenchApp()
    probe = BenchView(CountingBackend(pool, server.target()))
    finished = 0
    current = Progress()
    stop = asyncio.Event()

    def moved() -> int:
        return finished + current.done

    async def downloads() -> None:
        nonlocal finished, current
        while not stop.is_set():
            current = Progress()
            spec = TransferSpec(Direction.DOWN, server.target(), str(remote), local)
            run = TransferRun(pool, spec, progress=current, conflict=Conflict.OVERWRITE)
            try:
                await run.run()
            finally:
                finished += current.done
                current = Progress()

    try:
        async with app.run_test(headless=False, size=(COLS, ROWS + 2)):
            await app.add(probe, HALF_ROWS)
            probe.focus()
            await wait_until(lambda: probe.running, "the shell")
            probe.send(START_CAT.encode())
            await wait_until(lambda: "READY" in probe.screen_text(), "cat")
            app.probe = probe
            task = asyncio.create_task(downloads())
            await asyncio.sleep(1.0)  # the transfer is in full flow
            started, before = time.perf_counter(), moved()

            async def press(data: bytes, line: str) -> float:
                enter = data == b"\r"
                probe.expect = None if enter else line
                probe.painted = False
                app.echoed.clear()
                sent = time.perf_counter()
                app.post_message(events.Key("enter" if enter else line[-1], data.decode()))
                if enter:
                    await wait_until(lambda: screen_ends_with(probe, line), "cat's line")
                    return 0.0
                await asyncio.wait_for(app.echoed.wait(), WAIT)
                return app.echoed_at - sent

            latencies = await type_keys(keys, press)
            stop.set()
            task.cancel()
            with_rate = (moved() - before) / 1e6 / (time.perf_counter() - started)
            await asyncio.gather(task, return_exceptions=True)
            app.probe = None
            await probe.remove()
    finally:
        await pool.close()
    return percentile(latencies, 50), percentile(latencies, 95), with_rate
