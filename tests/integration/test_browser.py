"""`clusterdeck serve` in a real headless Chromium: the dashboard, a shell, the clipboard, faults.

The tests start `python -m tui serve --demo` on a free loopback port in an isolated environment
and drive it with Playwright through Debian's Chromium (no browser download). One server is shared
by the tests that leave it running; each of them must end its browser sessions (checked).
"""

from __future__ import annotations

import asyncio
import http.client
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.ci_strict import IN_CI
from tests.conftest import require_binary
from tests.integration.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    WAIT,
    DashboardPage,
    ServeProcess,
    alive,
    app_processes,
    descendants,
    free_port,
    isolated_env,
    wait_for,
)
from tui.app.bindings import KeyHelp, all_keys

if TYPE_CHECKING:
    from playwright.sync_api import Browser

T = TypeVar("T")
SCREENSHOTS = ROOT / "screenshots"
"""browser-demo.png (the dashboard) and browser-shell.png (a shell), for the README."""
Opener = Callable[[ServeProcess], DashboardPage]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (skipped locally when either is missing)."""
    require_binary("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "playwright is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def stop_and_check(server: ServeProcess) -> None:
    """Stop `server`; every process it started must be gone too."""
    below = descendants(server.pid)
    if server.process.poll() is None:
        server.stop()
    wait_for(lambda: not alive(below), what="every session process to end")


@pytest.fixture(scope="module")
def shared_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """`clusterdeck serve --demo` on a free loopback port, for the whole module."""
    env = isolated_env(tmp_path_factory.mktemp("serve"))
    server = ServeProcess("--port", str(free_port()), "--demo", env=env)
    yield server
    stop_and_check(server)


@pytest.fixture
def serve(shared_serve: ServeProcess) -> Iterator[ServeProcess]:
    """The shared server; the test's browser sessions must all have ended afterwards."""
    assert shared_serve.process.poll() is None, shared_serve.output()
    yield shared_serve
    wait_for(lambda: not app_processes(shared_serve.pid), what="the test's sessions to end")


@pytest.fixture
def own_serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """A server of the test's own (for tests that stop it)."""
    server = ServeProcess("--port", str(free_port()), "--demo", env=isolated_env(tmp_path))
    yield server
    stop_and_check(server)


@pytest.fixture
def open_dashboard(browser: Browser) -> Iterator[Opener]:
    """Open a browser tab on a server's dashboard; tabs still open are closed afterwards."""
    pages: list[DashboardPage] = []

    def opener(server: ServeProcess) -> DashboardPage:
        page = DashboardPage(browser, server.url())
        pages.append(page)
        page.wait_for_text("worker-3")
        page.focus()
        return page

    yield opener
    for page in pages:
        page.close()


def open_shell(page: DashboardPage) -> None:
    """Tab to the nodes pane, press enter on the highlighted node, wait for the prompt."""
    page.press("Tab", "Enter")
    page.wait_for_text("@master-0")
    wait_for(lambda: any(line.endswith(("#", "$")) for line in page.lines()), what="a shell prompt")


def session_ended(page: DashboardPage) -> bool:
    """The page shows textual-serve's "Session ended" notice."""
    return bool(page.page.evaluate("document.body.classList.contains('-closed')"))


def save_screenshot(page: DashboardPage, name: str, update: bool) -> None:
    """A PNG of the browser's page, as the user sees it; written to screenshots/ when `update`
    (`pytest --update-screenshots`) or when there is none yet."""
    png = page.page.screenshot()
    assert png.startswith(b"\x89PNG")
    path = SCREENSHOTS / name
    if update or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png)


def newest_iteration(page: DashboardPage) -> int:
    found = [int(n) for n in re.findall(r" iter +(\d+) ", page.screen())]
    return max(found, default=-1)


# --- the dashboard and a shell --------------------------------------------------------------


def test_dashboard_in_the_browser_lists_jobs_follows_the_log_and_runs_a_shell(
    serve: ServeProcess, open_dashboard: Opener, pytestconfig: pytest.Config
) -> None:
    update = bool(pytestconfig.getoption("--update-screenshots"))
    page = open_dashboard(serve)
    screen = page.screen()
    for job in ("cfd-wing", "md-run", "sweep-17", "mesh-prep"):
        assert job in screen
    for node in ("master-0", "worker-1", "worker-2", "worker-3"):
        assert node in screen
    assert "Live log: cfd-wing" in screen
    first = wait_for(lambda: newest_iteration(page) >= 0, what="log lines") and newest_iteration(
        page
    )
    wait_for(lambda: newest_iteration(page) > first, what="the live log to move on")
    save_screenshot(page, "browser-demo.png", update)

    page.press("ArrowDown")  # browsing: the highlighted job changes and the log follows it
    page.wait_for_text("Live log: md-run")
    page.press("ArrowUp")
    page.wait_for_text("Live log: cfd-wing")

    open_shell(page)
    page.type("echo hello-from-browser\n")
    page.wait_for_line("hello-from-browser")
    assert any(line.endswith("echo hello-from-browser") for line in page.lines())
    save_screenshot(page, "browser-shell.png", update)


def test_clipboard_through_the_browser(serve: ServeProcess, open_dashboard: Opener) -> None:
    """Copy reaches the browser's clipboard (OSC 52 and a drag selection); a paste arrives."""
    page = open_dashboard(serve)
    open_shell(page)
    page.set_clipboard("")

    # A remote program writes OSC 52: the app relays it to xterm.js, which sets the clipboard.
    page.type("printf '\\033]52;c;%s\\a' $(printf copied-by-osc52 | base64)\n")
    wait_for(lambda: page.clipboard() == "copied-by-osc52", what="the OSC 52 copy")

    # A drag over the terminal selects in the app, which copies the selection the same way.
    page.type("echo selected-$((6*7))\n")
    page.wait_for_line("selected-42")
    row = page.lines().index("selected-42")
    page.drag(row, 0, len("selected-42") - 1)
    wait_for(lambda: page.clipboard() == "selected-42", what="the selection copy")

    # The browser's paste (ctrl+shift+v in Chromium) reaches the shell as a bracketed paste.
    page.set_clipboard("echo pasted-$((40+2))")
    page.press("Control+Shift+V")
    wait_for(
        lambda: any(line.endswith("echo pasted-$((40+2))") for line in page.lines()),
        what="the pasted command line",
    )
    page.press("Enter")
    page.wait_for_line("pasted-42")


SCREENS: dict[tuple[str, ...], str | None] = {
    # names a binding's id or action may have -> text the screen shows (None: any full screen
    # that hides the dashboard). The tunnel and keys screens join in once the app binds them.
    ("help",): "clusterdeck keys",
    ("clipboard",): "Last transfers",
    ("tunnels", "tunnel"): "Tunnels (",
    ("keys", "ssh-keys", "key-manager"): None,
}


def binding_for(names: tuple[str, ...]) -> KeyHelp | None:
    for spec in all_keys():
        if spec.id in names or spec.action.removeprefix("app.") in names:
            return spec
    return None


def back_on_dashboard(page: DashboardPage, screen_text: str | None) -> bool:
    screen = page.screen()
    return "Jobs (" in screen and (screen_text is None or screen_text not in screen)


def test_screens_open_and_close_then_q_ends_the_session(
    serve: ServeProcess, open_dashboard: Opener
) -> None:
    page = open_dashboard(serve)
    shown = []
    for names, text in SCREENS.items():
        spec = binding_for(names)
        if spec is None:
            continue
        key = spec.keys.split(",")[0]
        page.press({"question_mark": "?", "slash": "/"}.get(key, key))
        if text is None:
            wait_for(lambda: "Jobs (" not in page.screen(), what=f"the {spec.id} screen")
        else:
            page.wait_for_text(text)
        page.press("Escape")
        wait_for(partial(back_on_dashboard, page, text), what=f"the dashboard after {spec.id}")
        shown.append(spec.id)
    assert "help" in shown and "clipboard" in shown

    apps = app_processes(serve.pid)
    assert len(apps) == 1
    page.press("q")
    wait_for(lambda: session_ended(page), what="the page's 'Session ended' notice")
    wait_for(lambda: not alive(apps), what="the app process to exit")


# --- faults -----------------------------------------------------------------------------------


def test_closing_the_browser_ends_its_app_process_and_shell(
    serve: ServeProcess, open_dashboard: Opener
) -> None:
    page = open_dashboard(serve)
    open_shell(page)
    page.type("echo still-here\n")
    page.wait_for_line("still-here")
    apps = app_processes(serve.pid)
    assert len(apps) == 1, descendants(serve.pid)
    session = descendants(serve.pid)
    assert len(session) > 1  # the app and, below it, the shell on the demo node

    page.close()  # the tab goes away mid-session
    wait_for(lambda: not alive(session), what="the session's processes to end")
    assert serve.process.poll() is None, "the server itself must keep running"


def test_two_browsers_get_independent_sessions(serve: ServeProcess, open_dashboard: Opener) -> None:
    first = open_dashboard(serve)
    second = open_dashboard(serve)
    assert len(app_processes(serve.pid)) == 2
    open_shell(first)
    open_shell(second)
    first.type("echo first-$((6*7))\n")
    second.type("echo second-$((6*7))\n")
    first.wait_for_line("first-42")
    second.wait_for_line("second-42")
    assert "second-" not in first.screen()
    assert "first-" not in second.screen()

    second.close()
    wait_for(lambda: len(app_processes(serve.pid)) == 1, what="the second session to end")
    first.type("echo first-still-$((6*7))\n")
    first.wait_for_line("first-still-42")


def test_stopping_the_server_ends_every_session(
    own_serve: ServeProcess, open_dashboard: Opener
) -> None:
    page = open_dashboard(own_serve)
    open_shell(page)
    below = descendants(own_serve.pid)
    assert app_processes(own_serve.pid)
    assert own_serve.stop(signal.SIGTERM) == 0, own_serve.output()
    assert not alive(below), "processes outlived the server"
    wait_for(lambda: session_ended(page), what="the page's 'Session ended' notice")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_server_takes_its_sessions_with_it(
    own_serve: ServeProcess, open_dashboard: Opener
) -> None:
    page = open_dashboard(own_serve)
    open_shell(page)
    below = descendants(own_serve.pid)
    assert app_processes(own_serve.pid)
    own_serve.process.kill()  # no chance to clean up: the app processes must notice by themselves
    own_serve.process.wait(WAIT)
    wait_for(lambda: not alive(below), what="the orphaned sessions to end")


def test_port_in_use_is_refused_with_the_port_and_a_hint(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--port", str(port), "--demo"],
            cwd=ROOT,
            env=isolated_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert result.returncode == 2, result
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "open http" not in result.stdout


def in_a_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API keeps a loop on this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result(WAIT * 2)


def test_a_port_taken_after_the_check_is_reported_too() -> None:
    """The bind itself failing (a race with another program) gives the same answer."""
    from tui.app.commands.serve import DashboardServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = DashboardServer("true", host="127.0.0.1", port=port, token="t")
        assert in_a_thread(server.start()) is False


def test_an_app_that_dies_ends_its_page_session() -> None:
    """A crashing dashboard closes the page's websocket (the page offers Restart)."""
    from aiohttp import ClientSession, WSMsgType

    from tui.app.commands.serve import DashboardServer

    crash = f"exec {sys.executable} -c 'import sys; sys.exit(3)'"

    async def scenario() -> WSMsgType:
        server = DashboardServer(crash, host="127.0.0.1", port=0, token="t")
        assert await server.start()
        try:
            url = f"ws://127.0.0.1:{server.bound_port}/ws/t"
            async with ClientSession() as client, client.ws_connect(url) as websocket:
                message = await websocket.receive(timeout=WAIT)
                return message.type
        finally:
            await server.close()

    assert in_a_thread(scenario()) in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)


# --- who may connect --------------------------------------------------------------------------


def http_status(url: str, path: str, headers: dict[str, str] | None = None) -> int:
    """The status of a GET to `path` on `url`'s server."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT)
    try:
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_default_binds_loopback_and_another_host_warns(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    local = ServeProcess("--port", "0", "--demo", env=env)
    try:
        assert local.url().startswith("http://127.0.0.1:")
        assert urlsplit(local.url()).port not in (None, 0)  # --port 0: the port actually bound
        assert "WARNING" not in "".join(local.stderr)
    finally:
        assert local.stop() == 0
    public = ServeProcess("--host", "0.0.0.0", "--port", "0", "--demo", env=env)
    try:
        public.url()
        warning = wait_for(lambda: "".join(public.stderr), what="the warning")
        assert "WARNING" in warning and "not loopback" in warning, public.output()
        assert "opens shells on your clusters" in warning
    finally:
        assert public.stop() == 0


def test_the_token_and_the_origin_are_checked(serve: ServeProcess) -> None:
    url = serve.url()
    token = parse_qs(urlsplit(url).query)["token"][0]
    host = urlsplit(url).netloc
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert http_status(url, f"/?token={token}") == 200
    assert http_status(url, "/") == 403
    assert http_status(url, "/?token=guess") == 403
    assert http_status(url, "/ws/guess", {**upgrade, "Origin": f"http://{host}"}) == 403
    assert http_status(url, f"/ws/{token}", {**upgrade, "Origin": "http://evil.example"}) == 403
    assert not app_processes(serve.pid)  # nothing was started for the refused connections
