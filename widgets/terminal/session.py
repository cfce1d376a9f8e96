"""`TerminalSession`: one backend session at a time, read and fed in budgeted slices.

The session starts the backend, reads output, feeds it to the `TerminalModel` in slices
(yielding to the event loop after `WORK_SECONDS` of work, however fast the backend delivers),
writes query replies back, and asks its listener for frames at most `FRAME_SECONDS` apart,
slower when frames get expensive. It knows nothing about Textual.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal, Protocol

from widgets.terminal.backend import ExitInfo, TerminalBackend, TerminalExit
from widgets.terminal.model import FeedResult, TerminalModel
from widgets.terminal.taps import StreamTap

FRAME_SECONDS = 1 / 60
"""Frames are coalesced to at most one per this interval."""
MAX_FRAME_SECONDS = 0.25
"""Under a flood, frames are spaced by 3x their cost, up to this interval."""
WORK_SECONDS = 0.004
"""Feeding yields to the event loop after this much work."""
SLICE_BYTES = 131_072
"""Output is fed in slices of this size (big enough for the plain-text backlog fast path)."""
FLOOD_BYTES = 65_536
"""Output fed since the last frame above which the session counts as flooding."""
FLOOD_FRAME_SECONDS = 0.1
"""Frames of a flooding session come at most 10 times a second, so other panes stay quick."""

State = Literal["idle", "starting", "running", "exited"]


class SessionListener(Protocol):
    """What the session reports to (a `TerminalView`'s `ViewHost`)."""

    def session_output(self, result: FeedResult) -> None:
        """A slice was fed (replies are already written)."""
        ...

    def session_frame(self) -> None:
        """Time to paint what changed."""
        ...

    def session_started(self) -> None:
        """`backend.start()` succeeded: output and input flow."""
        ...

    def session_ended(self, exit_info: ExitInfo, *, failed: bool) -> None:
        """The session ended (`failed`: `backend.start()` raised)."""
        ...


def failure_reason(exc: BaseException) -> str:
    """A one-line reason for an exception, with its user-facing `title` when it has one."""
    text = str(exc) or type(exc).__name__
    title = getattr(exc, "title", None)
    return f"{title}: {text}" if title and title != text else text


def status_line(exit_info: ExitInfo, *, failed: bool = False) -> str:
    """The line the view shows once a session ended."""
    if failed:
        return f"[{exit_info.reason} — press r to retry]"
    if exit_info.disconnected:
        return f"[disconnected: {exit_info.reason} — press r to reconnect]"
    return f"[{exit_info.reason} — press r to reconnect]"


class TerminalSession:
    """Runs a `TerminalBackend` into a `TerminalModel`."""

    def __init__(self, backend: TerminalBackend, listener: SessionListener) -> None:
        """Create an idle session.

        Args:
            backend: The byte stream.
            listener: Receives output results, frame requests and the end.
        """
        self.backend = backend
        self.listener = listener
        self.state: State = "idle"
        self.render_cost = 0.0
        """Seconds spent painting since the last frame (the view adds to it)."""
        self._frame_cost = 0.0
        self._frame_handle: asyncio.TimerHandle | None = None
        self._last_frame = 0.0
        self._fed_since_frame = 0
        self._work_start = 0.0
        self.tap: StreamTap | None = None
        """Sees the output as read and the resizes (a recorder), when set."""

    async def run(self, model: TerminalModel) -> None:
        """Start the backend at the model's size and feed its output until it ends."""
        self.state = "starting"
        cols, rows = model.emulator.size
        try:
            await self.backend.start(cols, rows)
        except Exception as exc:
            self._end(TerminalExit(f"failed: {failure_reason(exc)}", disconnected=True), True)
            return
        self.state = "running"
        self.listener.session_started()
        if model.emulator.size != (cols, rows):
            self.resize(*model.emulator.size)
        try:
            while data := await self.backend.read():
                if self.tap is not None:
                    self.tap.output(data)
                await self._ingest(model, data)
        except Exception as exc:
            self._end(TerminalExit(failure_reason(exc), disconnected=True), False)
            return
        exit_info = self.backend.exit_info
        self._end(exit_info or TerminalExit("connection closed", disconnected=True), False)

    async def _ingest(self, model: TerminalModel, data: bytes) -> None:
        for start in range(0, len(data), SLICE_BYTES):
            if not self._work_start:
                self._work_start = time.perf_counter()
            chunk = data[start : start + SLICE_BYTES]
            self._fed_since_frame += len(chunk)
            result = model.feed(chunk)
            if result.replies:
                self.write(result.replies)
            self.listener.session_output(result)
            self.schedule_frame()
            await self._maybe_yield()
        await self._maybe_yield()

    async def _maybe_yield(self) -> None:
        if time.perf_counter() - self._work_start > WORK_SECONDS:
            self._work_start = 0.0
            await asyncio.sleep(0)

    def _end(self, exit_info: ExitInfo, failed: bool) -> None:
        self.state = "exited"
        self.frame_now()
        self.listener.session_ended(exit_info, failed=failed)

    def write(self, data: bytes) -> None:
        """Send input to the backend (never raises: a closing channel drops it)."""
        try:
            self.backend.write(data)
        except Exception:
            pass

    def resize(self, cols: int, rows: int) -> None:
        """Tell the backend the new size (never raises)."""
        if self.tap is not None:
            self.tap.resized(cols, rows)
        try:
            self.backend.resize(cols, rows)
        except Exception:
            pass

    def schedule_frame(self) -> None:
        """Ask for a frame, coalesced and paced by the cost of the previous ones."""
        if self._frame_handle is not None:
            return
        loop = asyncio.get_running_loop()
        interval = min(MAX_FRAME_SECONDS, max(FRAME_SECONDS, 3 * self._frame_cost))
        if self._fed_since_frame >= FLOOD_BYTES:
            interval = max(interval, FLOOD_FRAME_SECONDS)
        delay = max(0.0, self._last_frame + interval - loop.time())
        self._frame_handle = loop.call_later(delay, self.frame_now)

    @property
    def frame_pending(self) -> bool:
        """A frame is scheduled."""
        return self._frame_handle is not None

    def frame_now(self) -> None:
        """Paint now (cancels a scheduled frame)."""
        self.cancel_frame()
        self._last_frame = asyncio.get_running_loop().time()
        self._fed_since_frame = 0
        self._frame_cost, self.render_cost = self.render_cost, 0.0
        self.listener.session_frame()

    def cancel_frame(self) -> None:
        """Drop a scheduled frame (on unmount)."""
        if self._frame_handle is not None:
            self._frame_handle.cancel()
            self._frame_handle = None

    async def close(self) -> None:
        """Close the backend, bounded in time, never raising."""
        self.cancel_frame()
        try:
            await asyncio.wait_for(self.backend.close(), 2.0)
        except Exception:
            pass
