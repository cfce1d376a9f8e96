"""Pieces of `bench_scale.py`: its rows, the 1,000-job demo, and the shell and tunnel children."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import socketserver
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text

from tui.core.providers.demo.provider import DemoProvider
from widgets.tables.job import JobRow
from widgets.tables.node import NodeRow

PROMPT = "demo$"
"""PS1 of the demo shells in the benchmark (their `sh` reads it from the environment)."""


def rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- rows -------------------------------------------------------------------------------------


def _load(index: int, generation: int) -> float:
    """A node's load; generation 1 changes every 100th row (1%), 2 is a new row."""
    return (index * 7 % 360) / 10 + (1 if generation and index % 100 == 0 else 0)


def node_rows(count: int, generation: int) -> list[NodeRow]:
    return [
        NodeRow(
            key=f"node{i:05d}",
            name=f"node{i:05d}",
            role="compute",
            address=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}:22",
            state="running",
            tone="active",
            cores=36,
            load=_load(i, generation),
        )
        for i in range(count)
    ]


def node_cells(count: int, generation: int) -> list[list[Text]]:
    """What NodeTable shows for `node_rows`, as plain cells for the anchor's DataTable."""
    return [
        [
            Text(row.name),
            Text(row.role, style="dim"),
            Text(row.address),
            Text(row.state),
            Text(str(row.cores), justify="right"),
            Text(f"{row.load:.1f}", justify="right"),
        ]
        for row in node_rows(count, generation)
    ]


def _detail(index: int, generation: int) -> str:
    bump = 1 if generation and index % 100 == 0 else 0
    return f"{index % 50 + 1} nodes · {index % 24}h{(index + bump) % 60:02d}m"


def job_rows(count: int, generation: int) -> list[JobRow]:
    return [
        JobRow(
            key=f"slurm:{100_000 + i}",
            name=f"sweep-{i:05d}",
            state="running",
            tone="active",
            detail=_detail(i, generation),
        )
        for i in range(count)
    ]


def job_cells(count: int, generation: int) -> list[list[Text]]:
    return [
        [Text(row.name), Text(row.state.upper()), Text(row.detail, style="dim")]
        for row in job_rows(count, generation)
    ]


# --- the 1,000-job demo -----------------------------------------------------------------------


def big_demo_class(count: int) -> type[DemoProvider]:
    """A DemoProvider listing `count` jobs: its own four, then finished sweeps."""
    from tui.core.models import JobState
    from tui.core.providers.demo.script import JOBS, JobSpec

    extra = tuple(
        JobSpec(
            str(5000 + i),
            f"sweep-{i:04d}",
            ("master-0",),
            16,
            -20_000.0 - i,
            -19_990.0 - i,
            -19_980.0 - i,
            ends_at=-19_000.0 - i,
            final_state=JobState.FAILED if i % 7 == 0 else JobState.COMPLETED,
            case="sweep",
        )
        for i in range(count - len(JOBS))
    )

    class BigDemo(DemoProvider):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            script = self._script
            script.jobs = (*JOBS, *extra)
            script._by_id = {spec.id: spec for spec in script.jobs}

    return BigDemo


# --- children -------------------------------------------------------------------------------


async def until(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {within} s")
        await asyncio.sleep(0.01)


async def _demo(state: str) -> tuple[DemoProvider, list[Any]]:
    provider = DemoProvider(state_dir=Path(state), known_hosts_path=Path(state) / "known_hosts")
    await provider.start()
    job = (await provider.list_jobs())[0]
    nodes = await provider.list_nodes(job)
    return provider, nodes


async def shells(which: str, state: str, count: int) -> None:
    """Open `count` shells at once; print seconds until every one shows its prompt, RSS growth."""
    if which == "anchor":
        provider, nodes = await _demo(state)
        import asyncssh

        targets = [provider.ssh_target(node) for node in nodes]
        gc.collect()
        before, start = rss(), time.perf_counter()
        conns = await asyncio.gather(*(_connect(asyncssh, t, provider) for t in targets))

        async def prompt(proc: Any) -> None:
            seen = b""
            while PROMPT.encode() not in seen:
                seen += await proc.stdout.read(65536)

        procs, prompts = [], []
        for index in range(count):  # one after the other, as the app opens them
            proc = await conns[index % len(conns)].create_process(
                term_type="xterm-256color", term_size=(160, 45), encoding=None
            )
            procs.append(proc)
            prompts.append(asyncio.create_task(prompt(proc)))
        await asyncio.gather(*prompts)
        seconds = time.perf_counter() - start
        gc.collect()
        grown = rss() - before
        for proc in procs:
            proc.close()
        for conn in conns:
            conn.close()
        await provider.close()
    else:
        seconds, grown = await _app_shells(state, count)
    print(json.dumps({"seconds": seconds, "rss": grown}), flush=True)


async def _connect(asyncssh: Any, target: Any, provider: DemoProvider) -> Any:
    return await asyncssh.connect(
        target.host,
        target.port,
        username=target.user,
        client_keys=[str(target.key_path)],
        known_hosts=str(provider.known_hosts_path),
        agent_path=None,
        encryption_algs="^aes128-gcm@openssh.com",  # as the pool prefers it
    )


async def _app_shells(state: str, count: int) -> tuple[float, int]:
    from tui.app.factory import make_app
    from tui.app.screens.dashboard.main import MainScreen
    from tui.core.config.settings import Settings

    app = make_app(Settings(state_dir=Path(state)))
    async with app.run_test(size=(160, 48)):
        watcher = app.watcher
        await until(
            lambda: (
                watcher.selected is not None
                and len(watcher.nodes) >= 4
                and all(node.port for node in watcher.nodes.values())
            ),
            60,
            "dashboard",
        )
        job, nodes = watcher.selected, list(watcher.nodes.values())
        assert job is not None
        gc.collect()
        before, start = rss(), time.perf_counter()
        for index in range(count):  # as fast as enter, enter...: a hidden tab starts when shown
            request = MainScreen.ShellRequested(job, nodes[index % len(nodes)])
            await app.on_main_screen_shell_requested(request)
            view = app.terminals.views[-1]
            await until(lambda: view.state != "idle", 60, "the shell to start")  # noqa: B023

        def prompted() -> bool:
            views = app.terminals.views
            return len(views) == count and all(
                any(PROMPT in line for line in view.screen_text()) for view in views
            )

        await until(prompted, 300, "prompts")
        seconds = time.perf_counter() - start
        gc.collect()
        return seconds, rss() - before


async def tunnels(which: str, dest: int, state: str, count: int) -> None:
    """Open `count` tunnels to `dest`; print their ports and the time, wait, print RSS growth."""
    import asyncssh

    from tui.core.ssh.pool import SshPool
    from tui.core.tunnels import TunnelManager, TunnelSpec, TunnelState

    provider, nodes = await _demo(state)
    target = provider.ssh_target(nodes[0])
    gc.collect()
    before, start = rss(), time.perf_counter()
    closers: list[Callable[[], Any]] = []
    if which == "ours":
        pool = SshPool(
            known_hosts_paths=[provider.known_hosts_path], ssh_config_paths=[], use_agent=False
        )
        manager = TunnelManager(pool)
        spec = TunnelSpec(node="master-0", remote_host="127.0.0.1", remote_port=dest, target=target)
        made = [await manager.open(spec) for _ in range(count)]
        listening = [
            manager.wait_for(t, lambda t: t.state is TunnelState.LISTENING, within=120)
            for t in made
        ]
        await asyncio.gather(*listening)
        ports = [t.local_port for t in made]
        closers += [manager.close, pool.close]
    else:
        conn = await _connect(asyncssh, target, provider)
        listeners = [
            await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", dest) for _ in range(count)
        ]
        ports = [listener.get_port() for listener in listeners]
        closers.append(conn.close)
    print(json.dumps({"ports": ports, "open": time.perf_counter() - start}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    gc.collect()
    print(json.dumps({"rss": rss() - before}), flush=True)
    for close in closers:
        result = close()
        if asyncio.iscoroutine(result):
            await result
    await provider.close()


# --- the far end of the tunnels -------------------------------------------------------------


class _Sink(socketserver.BaseRequestHandler):
    """Reads an 8-byte size and that many bytes, then answers `K`."""

    def handle(self) -> None:
        sock = self.request
        head = b""
        while len(head) < 8:
            more = sock.recv(8 - len(head))
            if not more:
                return
            head += more
        left = int.from_bytes(head, "big")
        buf = bytearray(1 << 20)
        while left > 0:
            got = sock.recv_into(buf, min(left, len(buf)))
            if not got:
                return
            left -= got
        sock.sendall(b"K")


def serve_endpoint() -> None:
    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 512

    with Server(("127.0.0.1", 0), _Sink) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


def upload(port: int, size: int) -> None:
    """Push `size` bytes through `port` and wait for the far end's acknowledgement."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(size.to_bytes(8, "big") + b"u" * size)
        if sock.recv(1) != b"K":
            raise RuntimeError(f"the upload through port {port} was not acknowledged")


def top_row(kind: str) -> tuple[Any, list[Text]]:
    """A new row that sorts first (a job just submitted), as a model and as plain cells."""
    if kind == "node":
        node = NodeRow("a-new", "a-new", "compute", "10.9.9.9:22", "running", "active", 36, 0.0)
        return node, [Text("a-new"), *node_cells(1, 0)[0][1:]]
    job = JobRow("a-new", "a-new", "queued", "waiting", "1 node")
    return job, [Text("a-new"), Text("QUEUED"), Text("1 node", style="dim")]
