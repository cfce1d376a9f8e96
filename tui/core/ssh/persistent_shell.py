"""`PersistentShell`: a terminal backend whose shell lives in a tmux session on the node.

It wraps a plain `SshShellBackend` (or a provider's subclass), running the attach command of
`tui.core.ssh.persistent` in its PTY. A dropped connection does not end it: `read()` keeps the
terminal view waiting while it reattaches with jittered exponential backoff (`status` says so),
and tmux repaints the screen on attach. A fresh attach to a session that already exists (after
clusterdeck restarted) first replays the pane's history into the scrollback.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable

from tui.core.errors import HostKeyError, SshAuthError, SshError
from tui.core.ssh.persistent import (
    EXIT_FOREIGN,
    EXIT_GONE,
    EXIT_NO_TMUX,
    PersistMode,
    RemoteSessions,
)
from tui.core.ssh.shell import SessionExit, SshShellBackend

FIRST_DELAY = 2.0
"""The first reattach waits up to this long (jittered: 10% to 100% of it)..."""
MAX_DELAY = 30.0
"""...doubling per try up to this."""
RETRY_FOR = 600.0
"""Reattaching gives up after this many seconds without success (then `r` tries again)."""

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before reattach try `attempt` (0, 1, ...): full jitter over a doubling window,
    so tabs dropped together do not come back in the same second."""
    window: float = min(MAX_DELAY, FIRST_DELAY * 2.0**attempt)
    return window * (0.1 + 0.9 * float(rng()))


class PersistentShell:
    """A shell in tmux session `name` on the inner backend's node (see the module docstring).

    Args:
        inner: Opens the PTY channel; its command is set (`set_command`) before each start.
        sessions: Probes the node (is tmux there, name clashes, history).
        name: The session name (`cd-<job>-<node>-<n>`).
        job: The job key stored with the session.
        node: The node name stored with the session.
        mode: `auto` (tmux when present, else plain), `tmux` (warn when missing) or `off`.
        taken: Names already used by other tabs (skipped when `name` clashes).
        rng: Jitter source (tests pass a seeded one).
    """

    def __init__(
        self,
        inner: SshShellBackend,
        sessions: RemoteSessions,
        *,
        name: str,
        job: str,
        node: str,
        mode: PersistMode = "auto",
        taken: Callable[[str], bool] = lambda name: False,
        rng: Callable[[], float] = random.random,
        retry_for: float = RETRY_FOR,
    ) -> None:
        self.inner = inner
        self.sessions = sessions
        self.name = name
        self.job = job
        self.node = node
        self.mode: PersistMode = mode
        self.taken = taken
        self.rng = rng
        self.retry_for = retry_for
        self.active: str = ""
        """What runs now: `tmux`, `screen`, `plain`, or "" before the first start."""
        self.note = ""
        """Why the shell is plain, or that the name was changed (shown once by the app)."""
        self.status = ""
        """While reattaching: `reattaching in 3 s, try 2`; else ""."""
        self.on_change: Callable[[PersistentShell], None] | None = None
        """Called when `status`, `active` or `name` changed (the tab label follows)."""
        self.attempts: list[float] = []
        """Loop times of the reattach tries (for tests and figures)."""
        self.reattached_at: float | None = None
        """Loop time the last reattach's channel opened."""
        self._size = (80, 24)
        self._fresh = True
        self._prefix: deque[bytes] = deque()
        self._exit: SessionExit | None = None
        self._stop = asyncio.Event()

    @property
    def persistent(self) -> bool:
        """The shell runs in tmux or screen (detaching keeps it running)."""
        return self.active not in ("", "plain")

    @property
    def route(self) -> str | None:
        """How the inner backend reached the node, when it had a choice (Slurm: ssh or srun)."""
        return self.inner.route

    @property
    def alive(self) -> bool:
        """In tmux and not ended: attached, or reattaching after a drop."""
        return self.persistent and self._exit is None and not self._stop.is_set()

    # --- the backend protocol ------------------------------------------------------------------

    async def start(self, cols: int, rows: int) -> None:
        """Attach to (or make) the session; a plain shell when tmux is off or missing."""
        self._size = (cols, rows)
        self._exit = None
        self._stop.clear()
        self._prefix.clear()
        program = self.sessions.mux.program
        explicit = self.mode in ("tmux", "screen")
        if self.mode == "off":
            await self._start_plain("")
            return
        if not self.inner.can_persist():
            why = f"{self.node} is reached by a route that ends with the connection (srun)"
            await self._start_plain(
                f"no {program} session: {why}; a plain shell" if explicit else ""
            )
            return
        try:
            probe = await self.sessions.probe(self.inner.target, self.name if self._fresh else None)
        except SshError as exc:
            # the inner backend words a refusal best (a Slurm node outside the job): let it try
            failed = f"could not look for {program} on {self.node}: {exc}; a plain shell"
            await self._start_plain(failed if explicit else "")
            return
        if not probe.installed:
            missing = f"{program} is not installed on {self.node}: a plain shell, ended by a drop"
            await self._start_plain(missing if explicit else "")
            return
        found = probe.find(self.name)
        if found is not None and not found.ours:  # never attach to a session we did not make
            self._rename_clash({s.name for s in probe.sessions})
        elif found is not None and self._fresh and probe.capture:
            self._prefix.append(probe.capture.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        await self._attach(create=True)
        self._fresh = False

    async def read(self) -> bytes:
        """The next output; `b""` once the session really ended (not at a connection drop)."""
        if self._prefix:
            return self._prefix.popleft()
        while True:
            data = await self.inner.read()
            if data:
                return data
            info = self.inner.exit_info
            if not self.persistent:
                return b""
            # tmux's client always exits with a status; a channel closed without one dropped
            dropped = info is None or info.disconnected or info.exit_status is None
            if dropped and not self._stop.is_set():
                if await self._reattach(info.reason if info is not None else "connection lost"):
                    continue
                return b""
            await self._ended(info.exit_status if info is not None else None)
            return b""

    def write(self, data: bytes) -> None:
        """Send input (dropped while reattaching)."""
        self.inner.write(data)

    def resize(self, cols: int, rows: int) -> None:
        """Remember the size (a reattach uses it) and tell the remote."""
        self._size = (cols, rows)
        self.inner.resize(cols, rows)

    async def close(self) -> None:
        """Detach: close the channel (tmux keeps the session); stops a reattach loop."""
        self._stop.set()
        await self.inner.close()

    async def end_session(self) -> None:
        """Kill the tmux session on the node, then close.

        Raises:
            SshError: the node could not be reached (the session may still run).
        """
        self._stop.set()
        try:
            if self.persistent:
                await self.sessions.kill(self.inner.target, self.name)
        finally:
            await self.inner.close()

    @property
    def exit_info(self) -> SessionExit | None:
        """How it ended; None while it runs or reattaches."""
        if self._exit is not None:
            return self._exit
        if self.persistent and not self._stop.is_set():
            return None
        return self.inner.exit_info

    # --- internals -----------------------------------------------------------------------------

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    async def _start_plain(self, note: str) -> None:
        self.note = note
        self.inner.set_command(None)
        await self.inner.start(*self._size)
        self.active = "plain"
        self._changed()

    async def _attach(self, *, create: bool) -> None:
        cols, rows = self._size
        self.inner.set_command(
            self.sessions.mux.attach(
                self.name, job=self.job, node=self.node, create=create, cols=cols, rows=rows
            )
        )
        await self.inner.start(cols, rows)
        self.active = self.sessions.mux.program
        self._changed()

    def _rename_clash(self, existing: set[str]) -> None:
        stem, _, number = self.name.rpartition("-")
        count = int(number) if number.isdigit() else 1
        old = self.name
        while self.name in existing or self.taken(self.name) or self.name == old:
            count += 1
            self.name = f"{stem}-{count}" if stem else f"{old}-{count}"
        self.note = (
            f"a tmux session {old} that clusterdeck did not make exists on {self.node}: "
            f"it is left alone; this shell uses {self.name}"
        )

    async def _reattach(self, reason: str) -> bool:
        """Reattach with backoff after a drop; False (and `exit_info` set) when it gave up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_for
        attempt = 0
        while True:
            delay = backoff_delay(attempt, self.rng)
            self.status = f"reattaching in {delay:.0f} s, try {attempt + 1}"
            self._changed()
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
                return False  # closed meanwhile
            except TimeoutError:
                pass
            self.status = f"reattaching, try {attempt + 1}"
            self._changed()
            self.attempts.append(loop.time())
            try:
                await self._attach(create=False)
            except (SshAuthError, HostKeyError) as exc:
                self._give_up(f"{reason}; reattaching stopped: {exc}")
                return False
            except (SshError, OSError) as exc:
                log.info("reattach to %s failed: %s", self.name, exc)
                attempt += 1
                if loop.time() + backoff_delay(attempt, lambda: 0.0) > deadline:
                    self._give_up(f"{reason}; gave up reattaching after {attempt} tries")
                    return False
                continue
            if self._stop.is_set():  # closed while the channel opened
                await self.inner.close()
                return False
            self.reattached_at = loop.time()
            self.status = ""
            self._changed()
            return True

    def _give_up(self, reason: str) -> None:
        self.status = ""
        self._exit = SessionExit(reason, disconnected=True)
        self._changed()

    async def _ended(self, status: int | None) -> None:
        """The attach client exited: say why (detached, gone, foreign) in `exit_info`."""
        name, program = self.name, self.sessions.mux.program
        if status == EXIT_GONE:
            reason = f"{program} session {name} is gone (killed on the node, or the node restarted)"
        elif status == EXIT_FOREIGN:
            reason = f"{program} session {name} was not made by clusterdeck: not attached"
        elif status == EXIT_NO_TMUX:
            reason = f"{program} is no longer installed on {self.node}"
        else:
            try:
                alive = (await self.sessions.probe(self.inner.target)).find(name)
            except SshError:
                alive = None
            if alive is not None and alive.ours:
                reason = f"detached from {program} session {name} (it keeps running)"
            else:
                reason = f"{program} session {name} ended (its shell exited or it was killed)"
        self._exit = SessionExit(reason, status)
        self._changed()
