"""The tunnel screen and its add dialog in the whole app, on the demo cluster.

Until the app builds a TunnelManager and binds `t`, each test builds the manager from the app's
own pool and provider and pushes the screen itself, as the app will.
"""

from __future__ import annotations

import asyncio
import webbrowser
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.tunnels.dialog import TunnelDialog
from tui.app.screens.tunnels.screen import TunnelNotifier, TunnelScreen, tunnel_service
from tui.core.models import SshTarget
from tui.core.providers.demo.provider import PAGE_TITLE
from tui.core.tunnels import (
    ServiceDetector,
    TunnelManager,
    TunnelSpec,
    TunnelState,
    provider_resolver,
)
from widgets.log.view import LogView
from widgets.tables.tunnel import TunnelTable

WAIT = 20.0


class Harness:
    """The app with a tunnel manager, the screen pushed, and fakes for clipboard and browser."""

    def __init__(self, app: ClusterdeckApp, pilot: Pilot[None], manager: TunnelManager) -> None:
        self.app = app
        self.pilot = pilot
        self.manager = manager
        self.copied: list[str] = []
        self.opened: list[str] = []

    async def push(self, *, real_browser: bool = False) -> TunnelScreen:
        screen = TunnelScreen(
            self.manager,
            clock=self.app.clock,
            provider=self.app.provider,
            job=self.app.main_screen.selected,
            copy=self.copied.append,
            open_url=None if real_browser else self.open_url,
        )
        await self.app.push_screen(screen)
        await self.pilot.pause()
        return screen

    def open_url(self, url: str) -> str | None:
        self.opened.append(url)
        return None  # opened

    def dashboard_port(self) -> int:
        """The port the demo job's log says its HTTP service listens on."""
        log = self.app.main_screen.query_one(LogView)
        found = ServiceDetector().feed(log.get_line(i) for i in range(log.line_count))
        assert found, "no service line in the log"
        return found[0].port


@pytest.fixture
async def harness(app_factory: AppFactory) -> AsyncIterator[Harness]:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        manager = TunnelManager(
            app.pool,
            clock=app.clock,
            state_path=app.settings.state_dir / "tunnels.json",
            resolver=provider_resolver(app.provider),
        )
        yield Harness(app, pilot, manager)
        await manager.close()


async def open_dialog(h: Harness) -> TunnelDialog:
    await h.pilot.press("a")
    await wait_until(
        lambda: isinstance(h.app.screen, TunnelDialog), pause=h.pilot.pause, what="dialog"
    )
    assert isinstance(h.app.screen, TunnelDialog)
    return h.app.screen


def error_text(dialog: TunnelDialog) -> str:
    error = dialog.query_one("#tunnel-error", Static)
    return str(error.render()) if error.has_class("-shown") else ""


async def type_into(h: Harness, dialog: TunnelDialog, selector: str, text: str) -> None:
    field = dialog.query_one(selector, Input)
    field.value = ""
    field.focus()
    await h.pilot.press(*text)
    await h.pilot.pause()


async def test_dialog_shows_validation_inline(harness: Harness) -> None:
    h = harness
    await h.push()
    dialog = await open_dialog(h)
    assert dialog.query_one("#tunnel-node", Select).value == "master-0"
    assert dialog.query_one("#tunnel-remote-port", Input).value == "8888"  # Jupyter preset
    await type_into(h, dialog, "#tunnel-local-port", "70000")
    assert "local port 70000 is out of range: ports go from 1 to 65535" in error_text(dialog)
    await h.pilot.press("enter")
    await h.pilot.pause()
    assert h.app.screen is dialog and h.manager.tunnels == []
    await type_into(h, dialog, "#tunnel-local-port", "abc")
    assert "local port 'abc' is not a number" in error_text(dialog)
    await type_into(h, dialog, "#tunnel-local-port", "0")
    assert error_text(dialog) == ""
    await h.pilot.press("escape")
    await wait_until(
        lambda: isinstance(h.app.screen, TunnelScreen), pause=h.pilot.pause, what="dialog closed"
    )
    assert h.manager.tunnels == []


async def test_jupyter_preset_opens_a_tunnel_to_the_demo_service(harness: Harness) -> None:
    h = harness
    screen = await h.push()
    port = h.dashboard_port()
    dialog = await open_dialog(h)
    await type_into(h, dialog, "#tunnel-remote-port", str(port))
    await type_into(h, dialog, "#tunnel-local-port", "0")
    await h.pilot.click("#tunnel-open")
    await wait_until(lambda: h.app.screen is screen, pause=h.pilot.pause, what="dialog done")
    [tunnel] = h.manager.tunnels
    assert (tunnel.spec.name, tunnel.spec.preset, tunnel.spec.remote_port) == (
        "jupyter",
        "jupyter",
        port,
    )
    await wait_until(
        lambda: tunnel.state is TunnelState.LISTENING, pause=h.pilot.pause, what="listening"
    )
    async with httpx.AsyncClient(timeout=WAIT) as client:
        page = (await client.get(tunnel.url)).text
    assert PAGE_TITLE in page
    table = screen.query_one(TunnelTable)
    assert table.row_keys == [tunnel.id]
    await wait_until(
        lambda: "↓" in str(table.get_row(tunnel.id)[5]) and tunnel.counters.bytes_down > 0,
        pause=h.pilot.pause,
        what="bytes shown",
    )
    row = [str(cell) for cell in table.get_row(tunnel.id)]
    assert row[0] == "jupyter" and row[1] == "master-0"
    assert row[2] == f"127.0.0.1:{tunnel.local_port} → localhost:{port}"


async def test_port_in_use_is_shown_in_the_dialog(harness: Harness) -> None:
    h = harness
    await h.push()
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    busy = blocker.sockets[0].getsockname()[1]
    try:
        dialog = await open_dialog(h)
        await type_into(h, dialog, "#tunnel-local-port", str(busy))
        await h.pilot.click("#tunnel-open")
        await wait_until(lambda: error_text(dialog), pause=h.pilot.pause, what="error shown")
    finally:
        blocker.close()
    assert f"local port {busy} is already in use on 127.0.0.1" in error_text(dialog)
    assert "or 0 for any free port" in error_text(dialog)
    assert h.app.screen is dialog


async def test_copy_open_restart_remove(harness: Harness) -> None:
    h = harness
    screen = await h.push()
    job = h.app.main_screen.selected
    assert job is not None
    node = (await h.app.provider.list_nodes(job))[0]
    spec = TunnelSpec(
        node=node.name,
        remote_port=h.dashboard_port(),
        job_key=job.key,
        target=h.app.provider.ssh_target(node),
        preset="tensorboard",
    )
    tunnel = await h.manager.open(spec)
    await wait_until(
        lambda: screen.query_one(TunnelTable).row_keys == [tunnel.id], pause=h.pilot.pause
    )
    await h.pilot.press("c")
    assert h.copied == [f"http://127.0.0.1:{tunnel.local_port}/"]
    await h.pilot.press("o")
    await wait_until(lambda: h.opened == h.copied, pause=h.pilot.pause, what="browser opened")
    port = tunnel.local_port
    await h.pilot.press("r")
    await wait_until(
        lambda: tunnel.state is TunnelState.LISTENING, pause=h.pilot.pause, what="restarted"
    )
    assert tunnel.local_port == port
    await h.pilot.press("d")
    await wait_until(lambda: h.manager.tunnels == [], pause=h.pilot.pause, what="removed")
    assert screen.query_one(TunnelTable).row_keys == []
    await h.pilot.press("escape")
    await wait_until(lambda: h.app.screen is h.app.main_screen, pause=h.pilot.pause)


def fake_opener(folder: Path, script: str) -> None:
    """An `xdg-open` in `folder` that runs `script` (with $1 the URL)."""
    folder.mkdir(exist_ok=True)
    opener = folder / "xdg-open"
    opener.write_text(f"#!/bin/sh\n{script}\n")
    opener.chmod(0o755)


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A display, no BROWSER, and a PATH holding only a fake `xdg-open` (written by the test)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # the old opener caches what it found
    monkeypatch.setattr(webbrowser, "_browsers", {})
    return bin_dir


async def web_tunnel(h: Harness, screen: TunnelScreen) -> str:
    job = h.app.main_screen.selected
    assert job is not None
    node = (await h.app.provider.list_nodes(job))[0]
    spec = TunnelSpec(
        node=node.name,
        remote_port=h.dashboard_port(),
        job_key=job.key,
        target=h.app.provider.ssh_target(node),
        preset="tensorboard",
    )
    tunnel = await h.manager.open(spec)
    await wait_until(
        lambda: screen.query_one(TunnelTable).row_keys == [tunnel.id], pause=h.pilot.pause
    )
    return tunnel.url


def browser_notes(h: Harness) -> list[str]:
    return [n.message for n in h.app._notifications if n.title == "Browser"]


async def test_o_says_when_the_browser_could_not_open(harness: Harness, desktop: Path) -> None:
    h = harness
    fake_opener(
        desktop, "/bin/sleep 0.3\necho \"xdg-open: no method available for '$1'\" >&2\nexit 3"
    )
    screen = await h.push(real_browser=True)
    url = await web_tunnel(h, screen)
    await h.pilot.press("o")
    await wait_until(lambda: browser_notes(h), pause=h.pilot.pause, what="the browser note")
    assert browser_notes(h) == [
        f"Could not open a browser (xdg-open exited with status 3: xdg-open: no method "
        f"available for '{url}'). Open {url} yourself; c copies it."
    ]


async def test_o_says_opened_when_the_opener_took_the_url(
    harness: Harness, desktop: Path, tmp_path: Path
) -> None:
    h = harness
    asked = tmp_path / "asked"
    fake_opener(desktop, f'echo "$1" > {asked}')
    screen = await h.push(real_browser=True)
    url = await web_tunnel(h, screen)
    await h.pilot.press("o")
    await wait_until(lambda: browser_notes(h), pause=h.pilot.pause, what="the browser note")
    assert browser_notes(h) == [f"Opened {url} in the browser"]
    assert asked.read_text().strip() == url


async def test_tunnel_it_from_the_log_copies_the_url(harness: Harness) -> None:
    h = harness
    log = h.app.main_screen.query_one(LogView)
    [service] = ServiceDetector().feed(log.get_line(i) for i in range(log.line_count))
    job = h.app.main_screen.selected
    assert job is not None
    node = (await h.app.provider.list_nodes(job))[0]
    tunnel = await tunnel_service(
        h.app,
        h.manager,
        service,
        job=job,
        node=node,
        target=h.app.provider.ssh_target(node),
        copy=h.copied.append,
    )
    assert tunnel is not None and h.copied == [tunnel.url]
    # The demo "node" is this machine, so the service's own port is taken here: any free port.
    assert tunnel.local_port != service.port and tunnel.spec.local_port == 0
    assert h.copied == [f"http://127.0.0.1:{tunnel.local_port}/"]
    await h.manager.wait_for(tunnel, lambda t: t.state is TunnelState.LISTENING, within=WAIT)
    async with httpx.AsyncClient(timeout=WAIT) as client:
        assert PAGE_TITLE in (await client.get(h.copied[0])).text


async def test_notifier_reports_failures_once(harness: Harness) -> None:
    h = harness
    said: list[tuple[str, dict[str, Any]]] = []
    notifier = TunnelNotifier(h.manager, lambda message, **kw: said.append((message, kw)))
    unreachable = SshTarget("127.0.0.1", 1, "nobody")
    tunnel = await h.manager.open(TunnelSpec(node="gone", remote_port=80, target=unreachable))
    await h.manager.wait_for(tunnel, lambda t: t.state is TunnelState.FAILED, within=WAIT)
    notifier.close()
    assert len(said) == 1
    message, options = said[0]
    assert message.startswith("node unreachable: connection refused by 127.0.0.1:1")
    assert options == {"title": "Tunnel port 80", "severity": "error"}


async def test_a_failed_tunnel_is_a_notice_once(harness: Harness) -> None:
    from tui.core.clock import ManualClock
    from tui.core.config.watching import NotifySettings
    from tui.core.watch.notices import JobNotifier, Notice

    h = harness
    notices: list[Notice] = []
    notifier = JobNotifier(NotifySettings(), clock=ManualClock(), deliver=notices.append)
    stop = notifier.watch_tunnels(h.manager)
    unreachable = SshTarget("127.0.0.1", 1, "nobody")
    tunnel = await h.manager.open(TunnelSpec(node="gone", remote_port=80, target=unreachable))
    await h.manager.wait_for(tunnel, lambda t: t.state is TunnelState.FAILED, within=WAIT)
    stop()
    assert [(n.kind, n.title, n.toast) for n in notices] == [
        ("tunnel", "Tunnel port 80 failed", False)  # the tunnel notifier shows it in the app
    ]
    assert notices[0].message.startswith("node unreachable: connection refused")


async def test_the_dialog_always_opens_on_its_first_field(harness: Harness) -> None:
    h = harness
    await h.push()
    for _ in range(5):
        dialog = await open_dialog(h)
        await h.pilot.pause()
        assert dialog.focused is not None and dialog.focused.id == "tunnel-preset"
        await h.pilot.press("escape")
        await wait_until(
            lambda: isinstance(h.app.screen, TunnelScreen), pause=h.pilot.pause, what="closed"
        )
