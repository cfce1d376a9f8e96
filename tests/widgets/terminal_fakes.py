"""An in-memory `TerminalBackend`, a host app and waiting helpers for the TerminalView tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.pilot import Pilot

from widgets.terminal import TerminalExit, TerminalView


class FakeBackend:
    """Implements `TerminalBackend` with queues: tests push output and read what was written."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.output: asyncio.Queue[bytes] = asyncio.Queue()
        self.written = bytearray()
        self.starts: list[tuple[int, int]] = []
        self.resizes: list[tuple[int, int]] = []
        self.closed = 0
        self.waiting = False
        """True while the view waits in `read()` (everything before was fed)."""
        self.fail = fail
        self._exit: TerminalExit | None = None

    # -- the protocol --
    async def start(self, cols: int, rows: int) -> None:
        self.starts.append((cols, rows))
        if self.fail is not None:
            raise self.fail
        self._exit = None

    async def read(self) -> bytes:
        self.waiting = True
        try:
            return await self.output.get()
        finally:
            self.waiting = False

    def write(self, data: bytes) -> None:
        self.written += data

    def resize(self, cols: int, rows: int) -> None:
        self.resizes.append((cols, rows))

    async def close(self) -> None:
        self.closed += 1

    @property
    def exit_info(self) -> TerminalExit | None:
        return self._exit

    # -- test controls --
    def push(self, *chunks: bytes) -> None:
        """Queue output; each chunk is one `read()`."""
        for chunk in chunks:
            if chunk:
                self.output.put_nowait(chunk)

    def end(self, exit_info: TerminalExit) -> None:
        """End the session after the queued output."""
        self._exit = exit_info
        self.output.put_nowait(b"")

    def take(self) -> bytes:
        """What the view wrote since the last call."""
        data = bytes(self.written)
        self.written.clear()
        return data


class Host(App[None]):
    """One focused TerminalView; records its messages; has an app binding on `q`."""

    BINDINGS = [Binding("q", "quit_pressed", "Quit"), Binding("ctrl+pagedown", "next_tab", "Next")]

    def __init__(self, backend: FakeBackend, **kwargs: object) -> None:
        super().__init__()
        self.backend = backend
        self.kwargs = kwargs
        self.received: list[Message] = []
        self.actions: list[str] = []

    def compose(self) -> ComposeResult:
        yield TerminalView(self.backend, id="term", **self.kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one(TerminalView).focus()

    def action_quit_pressed(self) -> None:
        self.actions.append("quit")

    def action_next_tab(self) -> None:
        self.actions.append("next-tab")

    @on(TerminalView.TitleChanged)
    @on(TerminalView.ClipboardWritten)
    @on(TerminalView.CopyRequested)
    @on(TerminalView.Exited)
    @on(TerminalView.Bell)
    @on(TerminalView.PasteRequested)
    @on(TerminalView.LinkClicked)
    def record(self, message: Message) -> None:
        self.received.append(message)

    def messages(self, kind: type[Message]) -> list[Message]:
        return [m for m in self.received if isinstance(m, kind)]


async def wait_for(
    pilot: Pilot[None], predicate: Callable[[], object], what: str = "condition", within: float = 10
) -> None:
    """Poll `predicate` between `pilot.pause()`s; fail after `within` seconds (never sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause()


async def started(pilot: Pilot[None]) -> tuple[TerminalView, FakeBackend]:
    """The view once its session runs."""
    view = pilot.app.query_one(TerminalView)
    await wait_for(pilot, lambda: view.state == "running", "the session to start")
    assert isinstance(pilot.app, Host)
    return view, pilot.app.backend


async def show(pilot: Pilot[None], view: TerminalView, *chunks: bytes) -> None:
    """Push output and wait until it is all fed and painted."""
    backend = view.backend
    assert isinstance(backend, FakeBackend)
    backend.push(*chunks)
    await wait_for(pilot, lambda: backend.output.empty() and backend.waiting, "the output fed")
    await wait_for(pilot, lambda: not view._session.frame_pending, "the repaint")
    await pilot.pause()
