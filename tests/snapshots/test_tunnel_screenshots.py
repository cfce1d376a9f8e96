"""Screenshots of the tunnel screen (two tunnels with live connections) and the add dialog.

Deterministic: the clock is frozen (ages come from it), byte counts are exact (fixed payloads
echoed by a loopback service "on the node"), and the ports, which vary per run, are five-digit
`127.0.0.1:N` addresses that the snapshot fixture normalises.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

from textual.pilot import Pilot
from textual.widgets import Input

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.app.app import ClusterdeckApp
from tui.app.screens.tunnels.dialog import TunnelDialog
from tui.app.screens.tunnels.screen import TunnelScreen
from tui.core.clock import ManualClock
from tui.core.tunnels import Tunnel, TunnelManager, TunnelSpec, TunnelState, provider_resolver
from widgets.tables.tunnel import TunnelTable


def free_or_any(preferred: int) -> int:
    """`preferred` when nothing listens there (a stable number), else 0 (any free port)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return 0
    return preferred


async def echo_server() -> asyncio.Server:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
        writer.close()

    return await asyncio.start_server(echo, "127.0.0.1", 0)


async def connect(tunnel: Tunnel, size: int) -> asyncio.StreamWriter:
    """One client that sent `size` bytes, got them echoed, and stays connected."""
    reader, writer = await asyncio.open_connection("127.0.0.1", tunnel.local_port)
    writer.write(b"x" * size)
    await reader.readexactly(size)
    return writer


async def with_manager(app: ClusterdeckApp) -> TunnelManager:
    return TunnelManager(
        app.pool,
        clock=app.clock,
        state_path=app.settings.state_dir / "tunnels.json",
        resolver=provider_resolver(app.provider),
        counter_interval=0.01,
    )


async def push_screen(
    app: ClusterdeckApp, pilot: Pilot[None], manager: TunnelManager
) -> TunnelScreen:
    screen = TunnelScreen(
        manager, clock=app.clock, provider=app.provider, job=app.main_screen.selected
    )
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def two_active(
    app: ClusterdeckApp, manager: TunnelManager, server: asyncio.Server
) -> AsyncIterator[Tunnel]:
    job = app.main_screen.selected
    assert job is not None
    nodes = await app.provider.list_nodes(job)
    port = server.sockets[0].getsockname()[1]
    for node, preset, local in ((nodes[0], "jupyter", 18888), (nodes[1], "tensorboard", 16006)):
        spec = TunnelSpec(
            node=node.name,
            remote_host="127.0.0.1",
            remote_port=port,
            local_port=free_or_any(local),
            job_key=job.key,
            job_name=job.name,
            target=app.provider.ssh_target(node),
            preset=preset,
            name=preset,
        )
        tunnel = await manager.open(spec)
        yield await manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING)


async def test_tunnels_two_active(app_factory: AppFactory, snap: Snap, clock: ManualClock) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        manager = await with_manager(app)
        server = await echo_server()
        writers: list[asyncio.StreamWriter] = []
        try:
            screen = await push_screen(app, pilot, manager)
            tunnels = [t async for t in two_active(app, manager, server)]
            for tunnel, sizes in zip(tunnels, ((1000, 1000), (5000,)), strict=True):
                for size in sizes:
                    writers.append(await connect(tunnel, size))
            expected = [(2, 2000), (1, 5000)]
            await wait_until(
                lambda: [(t.counters.open, t.counters.bytes_down) for t in tunnels] == expected,
                pause=pilot.pause,
                what="counters",
            )
            clock.advance(125)
            screen.refresh_rows()
            await wait_until(
                lambda: "2m05s" in str(screen.query_one(TunnelTable).get_row_at(1)[6]),
                pause=pilot.pause,
                what="ages",
            )
            await pilot.pause()
            snap(app, "tunnels-two-active")
        finally:
            for writer in writers:
                writer.close()
            await manager.close()
            server.close()


async def test_tunnel_add_dialog(app_factory: AppFactory, snap: Snap) -> None:
    """The dialog as the Jupyter preset opens it, refused inline: local port 8888 is taken."""
    app = app_factory()
    taken = socket.socket()
    with contextlib.suppress(OSError):  # already in use is just as good
        taken.bind(("127.0.0.1", 8888))
        taken.listen()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        manager = await with_manager(app)
        try:
            await push_screen(app, pilot, manager)
            await pilot.press("a")
            await wait_until(
                lambda: isinstance(app.screen, TunnelDialog), pause=pilot.pause, what="dialog"
            )
            dialog = app.screen
            for field in dialog.query(Input):
                field.cursor_blink = False
            dialog.query_one("#tunnel-local-port", Input).focus()  # focus opens on Service
            await pilot.pause()
            await pilot.press("enter")
            await wait_until(
                lambda: dialog.query_one("#tunnel-error").has_class("-shown"),
                pause=pilot.pause,
                what="inline error",
            )
            await pilot.pause()
            assert manager.tunnels == []
            snap(app, "tunnel-add-dialog")
        finally:
            await manager.close()
            taken.close()
