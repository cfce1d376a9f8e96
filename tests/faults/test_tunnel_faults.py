"""(c) A big download through a tunnel (TunnelManager over SshPool) when the path to sshd breaks.

The service "on the node" is a small HTTP server on loopback that sends a blob with its
Content-Length. A transfer cut by the fault must fail loudly: the HTTP client gets a reset or an
EOF before the announced length (an error, never a short body passed off as complete), and the
tunnel records the loss. The tunnel keeps its local port and listens again once sshd can be
reached; transfers that complete match their SHA-256.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.faults.faults import KINDS, MB, NOTICE, RECOVER, TRANSFER_BYTES, Fault, Timeline
from tui.core.ssh.pool import SshPool
from tui.core.tunnels import Backoff, Tunnel, TunnelManager, TunnelSpec, TunnelState

pytestmark = pytest.mark.sshd

BLOCK = os.urandom(MB)


@dataclass(frozen=True)
class Blob:
    """What the node's HTTP server sends for GET /blob."""

    size: int
    sha256: str

    @classmethod
    def of(cls, size: int) -> Blob:
        digest = hashlib.sha256()
        for start in range(0, size, len(BLOCK)):
            digest.update(BLOCK[: min(len(BLOCK), size - start)])
        return cls(size, digest.hexdigest())


@pytest.fixture
async def blob_port() -> AsyncIterator[int]:
    """An HTTP/1.1 server on loopback ("on the node") serving `TRANSFER_BYTES` at /blob."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await reader.readuntil(b"\r\n\r\n")).startswith(b"GET /blob "):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    + f"Content-Length: {TRANSFER_BYTES}\r\n\r\n".encode()
                )
                for start in range(0, TRANSFER_BYTES, len(BLOCK)):
                    writer.write(BLOCK[: min(len(BLOCK), TRANSFER_BYTES - start)])
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def manager(pool: SshPool) -> AsyncIterator[TunnelManager]:
    manager = TunnelManager(pool, backoff=Backoff(initial=0.2, maximum=1.0), counter_interval=0.05)
    yield manager
    await manager.close()


class Download:
    """GET /blob through the tunnel, hashing as it goes; can stop reading halfway."""

    def __init__(self, port: int) -> None:
        # No client timeout: a hang must show as the test's own bound, not as httpx giving up.
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=None)
        self.received = 0
        self.digest = hashlib.sha256()
        self.announced = 0

    async def run(
        self,
        *,
        pause_at: int | None = None,
        paused: asyncio.Event | None = None,
        resume: asyncio.Event | None = None,
    ) -> str:
        """The body's SHA-256; with `pause_at`, stop reading there until `resume` is set."""
        async with self.client.stream("GET", "/blob") as response:
            self.announced = int(response.headers["content-length"])
            async for chunk in response.aiter_raw(256 * 1024):
                self.received += len(chunk)
                self.digest.update(chunk)
                if pause_at is not None and self.received >= pause_at:
                    assert paused is not None and resume is not None
                    pause_at = None
                    paused.set()
                    await resume.wait()
        return self.digest.hexdigest()

    async def close(self) -> None:
        await self.client.aclose()


async def complete_download(port: int, blob: Blob, timeline: Timeline, what: str) -> None:
    """A whole GET /blob through the tunnel: every byte, the right SHA-256."""
    download = Download(port)
    bound = RECOVER + blob.size / (2 * MB)  # and at least 2 MB/s
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with asyncio.timeout(bound):
            digest = await download.run()
    finally:
        await download.close()
    assert (download.received, digest) == (blob.size, blob.sha256)
    seconds = loop.time() - began
    rate = blob.size / MB / max(seconds, 1e-6)
    timeline.record(f"{what}, SHA-256 OK ({rate:.0f} MB/s)", seconds, bound)


@pytest.mark.parametrize("fault", KINDS, indirect=True)
async def test_transfer_through_a_tunnel(
    manager: TunnelManager, fault: Fault, timeline: Timeline, blob_port: int
) -> None:
    blob = Blob.of(TRANSFER_BYTES)
    spec = TunnelSpec(
        node="sshd", remote_host="127.0.0.1", remote_port=blob_port, target=fault.target()
    )
    tunnel: Tunnel = await manager.open(spec)
    await timeline.reach("listening", lambda: tunnel.state is TunnelState.LISTENING, within=RECOVER)
    port = tunnel.local_port
    await complete_download(port, blob, timeline, "a whole transfer before the fault")

    # A transfer in flight: read a quarter, stop reading (so the rest cannot sit in buffers),
    # break the path to sshd, then read on. It must end in an error before the full length.
    download = Download(port)
    paused, resume = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(download.run(pause_at=blob.size // 4, paused=paused, resume=resume))
    try:
        async with asyncio.timeout(RECOVER):
            await paused.wait()
        timeline.mark()
        await fault.inject()
        resume.set()
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)) as failed:
            async with asyncio.timeout(NOTICE):
                await task
        timeline.note(f"client error {type(failed.value).__name__}: {failed.value}", NOTICE)
    finally:
        task.cancel()
        await download.close()
    assert download.announced == blob.size
    assert blob.size // 4 <= download.received < blob.size
    await timeline.reach(
        "tunnel noted the loss",
        lambda: (tunnel.last_error or "").startswith("connection lost mid-transfer (SSH to sshd:"),
        within=NOTICE,
        detail=lambda: tunnel.last_error,
    )
    assert tunnel.counters.errors == 1
    if fault.server_down:
        await timeline.reach(
            "reconnecting",
            lambda: tunnel.state is TunnelState.RECONNECTING,
            within=NOTICE,
            detail=lambda: tunnel.state_text,
        )
        assert tunnel.listening_socket is not None  # the local port stays held meanwhile
        await fault.heal()
    await timeline.reach(
        "listening again",
        lambda: tunnel.state is TunnelState.LISTENING,
        within=RECOVER,
        detail=lambda: tunnel.state_text,
    )
    assert tunnel.local_port == port
    await complete_download(port, blob, timeline, "a whole transfer after the fault")
