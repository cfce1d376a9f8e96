"""The demo's stand-in for a solver's web dashboard: a tiny HTTP/1.0 service per running job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class DashboardServer:
    """A tiny HTTP/1.0 service on 127.0.0.1: GET / answers the demo dashboard page."""

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
                method, _, rest = head.partition(b" ")
                path = rest.split(b" ", 1)[0]
                if method not in (b"GET", b"HEAD"):
                    status, body = "405 Method Not Allowed", "method not allowed\n"
                elif path.split(b"?", 1)[0] != b"/":
                    status, body = "404 Not Found", "not found\n"
                else:
                    status, body = "200 OK", self._render()
                data = body.encode()
                kind = "text/html" if status.startswith("200") else "text/plain"
                writer.write(
                    f"HTTP/1.0 {status}\r\nContent-Type: {kind}; charset=utf-8\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                    + (data if method != b"HEAD" else b"")
                )
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
