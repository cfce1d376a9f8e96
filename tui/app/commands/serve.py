"""`clusterdeck serve`: the dashboard in a web browser, through Textual's own web serving.

Each browser tab that connects gets its own `python -m tui ...` process, run by textual-serve with
Textual's web driver; the page renders it with xterm.js. The server binds loopback by default and
every URL carries a random token, so other local users and other web sites cannot drive it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import hmac
import ipaddress
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from tui.app.commands.arguments import DEFAULT_HOST, DEFAULT_PORT
from tui.app.factory import check_providers
from tui.core.config.settings import Settings

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DashboardServer", "child_command", "run_serve"]

STOP_SECONDS = 10.0
"""How long a session's app may take to quit after its browser went away, before SIGTERM."""
KILL_SECONDS = 3.0
"""How long after SIGTERM before SIGKILL."""

log = logging.getLogger("clusterdeck.serve")


_DIE_WITH_SERVER = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None).prctl(1, signal.SIGTERM); "  # PR_SET_PDEATHSIG: SIGTERM when serve dies
    "os.getppid() == int(sys.argv[1]) or sys.exit(0); "  # it died before prctl
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)
"""On Linux the app process asks for SIGTERM when the server dies (even by SIGKILL), then becomes
`python -m tui ...`: Textual's web driver does not quit by itself when its input pipe closes."""


def child_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs for each browser session."""
    argv = ["-m", "tui"]
    if args.config is not None:
        argv += ["--config", str(Path(args.config).expanduser().resolve())]
    if args.provider is not None:
        argv += ["--provider", args.provider]
    if args.demo:
        argv.append("--demo")
    if sys.platform.startswith("linux"):
        argv = ["-c", _DIE_WITH_SERVER, str(os.getpid()), *argv]
    return "exec " + shlex.join([sys.executable, *argv])


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def port_problem(host: str, port: int) -> str | None:
    """Why `host`:`port` cannot be listened on (None when it can), checked before serving."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror}"
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                return bind_error_message(host, port, exc)
    return None


def bind_error_message(host: str, port: int, exc: OSError) -> str:
    """A user-facing message for a failed bind."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use; choose another with --port "
            f"(e.g. --port {port + 1 if 0 < port < 65535 else 8001}, or --port 0 for any free one)"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; use a port above 1023 with --port"
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}"


def browser_url(host: str, port: int, token: str) -> str:
    """The URL to print: wildcard addresses are replaced by this machine's name."""
    shown = socket.getfqdn() if host in ("", "0.0.0.0", "::") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """`clusterdeck serve`: check the config as the dashboard would, then serve until Ctrl+C."""
    check_providers(settings, only="demo" if args.demo else args.provider)
    problem = port_problem(args.host, args.port)
    if problem is not None:
        print(f"clusterdeck serve: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="clusterdeck serve: %(message)s")
    server = DashboardServer(
        child_command(args), host=args.host, port=args.port, token=secrets.token_urlsafe(18)
    )
    return asyncio.run(server.run())


class DashboardServer(Server):
    """textual-serve's server with a URL token, a same-origin check and bounded cleanup."""

    def __init__(self, command: str, *, host: str, port: int, token: str) -> None:
        super().__init__(command, host=host, port=port, title="clusterdeck")
        self.token = token
        self.sessions: set[web.WebSocketResponse] = set()
        self.bound_port = port
        self.runner: web.AppRunner | None = None

    # --- aiohttp application ---------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws/{token}", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_shutdown.append(self.close_sessions)
        return app

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request.query.get("token", "")):
            raise web.HTTPForbidden(
                text="clusterdeck: open the full URL that `clusterdeck serve` printed "
                "(it carries the session token).\n"
            )
        secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
        base = f"{'https' if secure else 'http'}://{request.host}"
        font_size = request.query.get("fontsize", "16")
        context = {
            "font_size": int(font_size) if font_size.isdigit() else 16,
            "app_websocket_url": f"{'wss' if secure else 'ws'}://{request.host}/ws/{self.token}",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._token_ok(request.match_info.get("token", "")):
            raise web.HTTPForbidden(text="bad token\n")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            raise web.HTTPForbidden(text="cross-origin connections are refused\n")
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        service = AppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=partial(_close, websocket),
            download_manager=self.download_manager,
            debug=False,
        )
        self.sessions.add(websocket)
        watcher: asyncio.Task[None] | None = None
        try:
            await service.start(width, height)
            watcher = asyncio.create_task(_close_on_exit(service, websocket))
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a broken client message ends only its own session
            log.warning("session ended: %s", exc)
        finally:
            self.sessions.discard(websocket)
            if watcher is not None:
                watcher.cancel()
            await stop_session(service)
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket

    async def close_sessions(self, _app: web.Application) -> None:
        """On shutdown, close every browser session so each app process quits."""
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY) for ws in list(self.sessions)),
            return_exceptions=True,
        )

    # --- running ---------------------------------------------------------------------

    async def start(self) -> bool:
        """Listen; False (the reason printed) when the address cannot be bound."""
        self.runner = runner = web.AppRunner(
            await self._make_app(), access_log=None, shutdown_timeout=STOP_SECONDS + 5
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            print(
                f"clusterdeck serve: {bind_error_message(self.host, self.port, exc)}",
                file=sys.stderr,
            )
            return False
        self.bound_port = int(runner.addresses[0][1])
        return True

    async def close(self) -> None:
        """Stop listening and end every session (each app process quits)."""
        if self.runner is not None:
            await self.runner.cleanup()

    async def run(self) -> int:
        """Listen, print the URL, serve until SIGINT/SIGTERM; the exit status."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            if not await self.start():
                return 2
            try:
                self.announce()
                await stop.wait()
            finally:
                print("clusterdeck serve: stopping; closing every session", flush=True)
                await self.close()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        return 0

    def announce(self) -> None:
        """Print where to point the browser, and a warning when not on loopback."""
        if not is_loopback(self.host):
            print(
                f"WARNING: listening on {self.host or 'every address'}, not loopback: "
                f"anyone who can reach port {self.bound_port} and has the URL below gets "
                "a dashboard that opens shells on your clusters with your SSH keys. "
                "The traffic is plain HTTP, not encrypted. Prefer the default "
                f"(127.0.0.1) and an SSH tunnel: ssh -L {self.bound_port}:127.0.0.1:"
                f"{self.bound_port} THIS-HOST",
                file=sys.stderr,
                flush=True,
            )
        url = browser_url(self.host, self.bound_port, self.token)
        print(
            f"clusterdeck serve: open {url}\n"
            "  each browser tab runs its own dashboard; Ctrl+C stops the server",
            flush=True,
        )


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


async def _close(websocket: web.WebSocketResponse) -> None:
    await websocket.close()


async def _close_on_exit(service: AppService, websocket: web.WebSocketResponse) -> None:
    """When the app process ends (quit or crash), end the page's session too."""
    process = service._process
    if process is not None:
        await process.wait()
        await websocket.close()


async def stop_session(service: AppService) -> None:
    """Ask a session's app to quit; terminate, then kill, its process if it does not."""
    process: asyncio.subprocess.Process | None = service._process  # textual-serve keeps it here
    try:
        await asyncio.wait_for(service.stop(), STOP_SECONDS)
    except Exception as exc:  # TimeoutError included: go on to terminate the process
        log.warning("a session's app did not quit cleanly (%r); terminating it", exc)
    if process is None:
        return
    for signal_it in (None, process.terminate, process.kill):
        if signal_it is not None:
            with contextlib.suppress(ProcessLookupError):
                signal_it()
        try:
            await asyncio.wait_for(process.wait(), KILL_SECONDS)
            return
        except TimeoutError:
            continue
    log.warning("a session's app (pid %s) would not die", process.pid)
