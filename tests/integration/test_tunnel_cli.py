"""`clusterdeck tunnel` against the demo cluster: in-process, and as a process stopped by SIGINT."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_until
from tui.app.commands.tunnel import parse_tunnel_args, serve_tunnels
from tui.core.models import Job, JobState, Node, SshTarget
from tui.core.providers.demo.provider import PAGE_TITLE, DemoProvider
from tui.core.ssh.pool import SshPool
from tui.core.tunnels.detect import detect_service

WAIT = 20.0
ROOT = Path(__file__).resolve().parents[2]


class EndingDemo(DemoProvider):
    """The demo, where cfd-wing completes when the test says so (or whose nodes are gone)."""

    ended = False
    unreachable = False

    async def list_jobs(self) -> list[Job]:
        jobs = await super().list_jobs()
        if not self.ended:
            return jobs
        return [
            dataclasses.replace(j, state=JobState.COMPLETED) if j.name == "cfd-wing" else j
            for j in jobs
        ]

    def ssh_target(self, node: Node) -> SshTarget:
        target = super().ssh_target(node)
        return dataclasses.replace(target, port=1) if self.unreachable else target


@pytest.fixture
def demo(tmp_path: Path) -> EndingDemo:
    state = tmp_path / "state"
    return EndingDemo(state_dir=state, known_hosts_path=state / "known_hosts")


@pytest.fixture
async def pool(demo: EndingDemo) -> AsyncIterator[SshPool]:
    pool = SshPool(known_hosts_paths=[demo.known_hosts_path], ssh_config_paths=[], use_agent=False)
    yield pool
    await pool.close()


async def dashboard_port(demo: DemoProvider) -> int:
    job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
    stream = demo.stream_log(job)
    async with asyncio.timeout(WAIT):
        batch = await anext(stream)
    await stream.aclose()
    return next(s.port for s in map(detect_service, batch.lines) if s is not None)


async def test_prints_states_and_stops_when_the_job_completes(
    demo: EndingDemo, pool: SshPool
) -> None:
    await demo.start()  # serve_tunnels starts it again (a no-op) and closes it
    port = await dashboard_port(demo)
    options = parse_tunnel_args(
        ["--job", "cfd-wing", "-L", f"0:localhost:{port}", "--poll", "0.05"]
    )
    out, err, stop = io.StringIO(), io.StringIO(), asyncio.Event()
    task = asyncio.create_task(
        serve_tunnels(options, provider=demo, pool=pool, out=out, err=err, stop=stop)
    )
    await wait_until(lambda: ": listening" in out.getvalue(), within=WAIT, what="listening")
    match = re.search(r"127\.0\.0\.1:(\d+) -> master-0 localhost:", out.getvalue())
    assert match, out.getvalue()
    async with httpx.AsyncClient(timeout=WAIT) as client:
        assert PAGE_TITLE in (await client.get(f"http://127.0.0.1:{match.group(1)}/")).text
    demo.ended = True
    async with asyncio.timeout(WAIT):
        assert await task == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == f"port {port}: 127.0.0.1:{match.group(1)} -> master-0 localhost:{port}"
    assert lines[1:] == [
        f"port {port}: listening",
        f"port {port}: active (1)",
        f"port {port}: listening",
        f"port {port}: closed: job cfd-wing completed",
    ]
    assert err.getvalue() == ""


async def test_unknown_job_and_node_unreachable_exit_1(demo: EndingDemo, pool: SshPool) -> None:
    out, err, stop = io.StringIO(), io.StringIO(), asyncio.Event()
    options = parse_tunnel_args(["--job", "nope", "-D", "0"])
    assert await serve_tunnels(options, provider=demo, pool=pool, out=out, err=err, stop=stop) == 1
    assert err.getvalue().startswith("clusterdeck tunnel: no job 'nope'; jobs: cfd-wing (4207, ")

    demo2 = EndingDemo(state_dir=demo.root.parent / "two", known_hosts_path=demo.known_hosts_path)
    demo2.unreachable = True
    options = parse_tunnel_args(["--job", "cfd-wing", "--node", "worker-1", "-D", "0"])
    status = await serve_tunnels(options, provider=demo2, pool=pool, out=out, err=err, stop=stop)
    assert status == 1
    assert "socks: failed: node unreachable: connection refused by 127.0.0.1:1" in out.getvalue()


SCRIPT = """
import sys
from pathlib import Path
from tui.core.config.settings import Settings
from tui.core.providers.demo.provider import DemoProvider
from tui.app.commands.tunnel import run_tunnel_command

state = Path(sys.argv[1])
settings = Settings(state_dir=state)
factory = lambda name: DemoProvider(state_dir=state, known_hosts_path=settings.known_hosts_path)
sys.exit(run_tunnel_command(sys.argv[2:], settings=settings, provider_factory=factory))
"""


async def test_the_command_runs_until_sigint(tmp_path: Path, isolated_home: Path) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, str(tmp_path / "state"),
        "--job", "cfd-wing", "-L", f"0:127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(WAIT):
            while not lines or not lines[-1].endswith(": listening"):
                line = await proc.stdout.readline()
                assert line, (
                    f"exited early: {lines}, "
                    f"{(await proc.stderr.read()).decode(errors='replace') if proc.stderr else ''}"
                )
                lines.append(line.decode().rstrip())
        local = re.search(r"^port \d+: 127\.0\.0\.1:(\d+) -> ", lines[0])
        assert local, lines
        reader, writer = await asyncio.open_connection("127.0.0.1", int(local.group(1)))
        writer.write(b"through the command")
        assert await reader.read() == b"through the command"
        writer.close()
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(WAIT):
            rest, errors = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        server.close()
    assert proc.returncode == 0, errors.decode()
    assert rest.decode().splitlines()[-1] == f"port {port}: closed: interrupted"
