"""Tunnels from the dashboard: `t` opens the screen; a service seen in the log is one key away."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.tunnels.screen import TunnelScreen
from widgets.tables.job import JobTable

Running = tuple[ClusterdeckApp, Pilot[None]]


async def http_get(url: str) -> str:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data.decode("utf-8", "replace")


async def test_t_opens_the_tunnel_screen(running_app: Running) -> None:
    app, pilot = running_app
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("t")
    await wait_until(
        lambda: isinstance(app.screen, TunnelScreen), pause=pilot.pause, what="tunnel screen"
    )
    await pilot.press("escape")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="back")


async def test_a_service_in_the_log_is_tunnelled_with_one_key(running_app: Running) -> None:
    app, pilot = running_app
    await wait_until(
        lambda: any(n.title == "Service detected" for n in app._notifications),
        pause=pilot.pause,
        what="service detected in the demo log",
    )
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("T")
    await wait_until(
        lambda: app.bridge.read_local().startswith("http://127.0.0.1:"),
        pause=pilot.pause,
        within=15,
        what="local URL copied",
    )
    page = await http_get(app.bridge.read_local())
    assert "clusterdeck demo solver dashboard" in page


async def test_tunnels_of_a_job_near_its_time_limit_say_so(running_app: Running) -> None:
    app, pilot = running_app
    await wait_until(
        lambda: any(n.title == "Service detected" for n in app._notifications),
        pause=pilot.pause,
        what="service detected in the demo log",
    )
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("T")
    await wait_until(lambda: bool(app.tunnels.tunnels), pause=pilot.pause, what="a tunnel")
    job_key = app.tunnels.tunnels[0].spec.job_key or ""
    app.time_warnings = {job_key: "6 min left"}
    await pilot.press("t")
    await wait_until(
        lambda: isinstance(app.screen, TunnelScreen), pause=pilot.pause, what="tunnel screen"
    )
    table = app.screen.query_one("#tunnel-table")
    tunnel_id = app.tunnels.tunnels[0].id
    await wait_until(
        lambda: "⚠ 6 min left" in str(table.get_cell(tunnel_id, "state")),  # type: ignore[attr-defined]
        pause=pilot.pause,
        what="the warning in the state column",
    )
