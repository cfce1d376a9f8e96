"""The network faults the suite injects between clusterdeck and a real OpenSSH sshd.

Each `Fault` owns the path to one sshd and breaks it in one way:

- `sshd-killed`: the listener and every session die (SIGKILL); `heal()` starts sshd again on the
  same port and host key.
- `session-killed`: only the per-connection sshd processes die; the listener keeps accepting.
- `connection-reset`: a relay between client and sshd resets the TCP connection (RST both ways);
  sshd and its sessions are untouched, new connections go through.
- `blackhole`: the relay stops moving bytes and closes nothing (a cable pulled, a NAT entry
  dropped): only keepalives can notice. `heal()` forwards again.

Sizes: the CI-sized defaults are small; `CLUSTERDECK_FAULTS_FULL=1` runs the full sizes (read
at import: the test isolation clears CLUSTERDECK_* variables before each test).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import wait_until
from tests.faults.relay import TcpRelay
from tests.integration.sshd import SshdServer, _descendants
from tui.core.models import SshTarget

MB = 1 << 20
FULL = os.environ.get("CLUSTERDECK_FAULTS_FULL", "").lower() in {"1", "true", "yes"}
CAT_BYTES = (100 if FULL else 20) * MB
"""Size of the file `cat` floods the terminal with."""
TRANSFER_BYTES = (200 if FULL else 20) * MB
"""Size of the download through a tunnel."""
LOG_LINES = 1000 if FULL else 60
"""Numbered lines the followed Slurm job writes at least."""

NOTICE = 10.0
"""Seconds within which a fault must show as a named state (kill, reset: at once; a blackhole:
after the keepalives, KEEPALIVE x (KEEPALIVE_MAX + 1))."""
RECOVER = 15.0
"""Seconds within which the thing comes back after the fault is healed."""
KEEPALIVE = 0.5
KEEPALIVE_MAX = 2

KINDS = ("sshd-killed", "session-killed", "connection-reset", "blackhole")


def kill_sessions(sshd: SshdServer) -> int:
    """SIGKILL every per-connection process under the sshd listener; the listener stays."""
    assert sshd.proc is not None
    victims = _descendants(sshd.proc.pid)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(victims)


@dataclass
class Fault:
    """One way to break the path to `sshd` (see the module doc)."""

    kind: str
    sshd: SshdServer
    relay: TcpRelay | None = None
    injected: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Where clients connect: the relay when there is one, else sshd itself."""
        return self.relay.port if self.relay is not None else self.sshd.port

    def target(self, **changes: object) -> SshTarget:
        return self.sshd.target(port=self.port, **changes)

    def known_hosts(self, path: Path) -> Path:
        """A known_hosts file trusting sshd's key at sshd's port and at the relay's."""
        self.sshd.write_known_hosts(path)
        if self.relay is not None:
            with path.open("a") as out:
                out.write(f"[127.0.0.1]:{self.relay.port} {self.sshd.host_public_key()}\n")
        return path

    @property
    def silent(self) -> bool:
        """True when nothing tells the client (only keepalives notice)."""
        return self.kind == "blackhole"

    @property
    def server_down(self) -> bool:
        """True while the fault keeps new connections from working (until `heal`)."""
        return self.kind in {"sshd-killed", "blackhole"}

    async def inject(self) -> None:
        self.injected += 1
        if self.kind == "sshd-killed":
            await asyncio.to_thread(self.sshd.stop)
        elif self.kind == "session-killed":
            killed = kill_sessions(self.sshd)
            assert killed, "no sshd session to kill"
            self.notes.append(f"killed {killed} session processes")
        elif self.kind == "connection-reset":
            assert self.relay is not None
            cut = await self.relay.cut()
            assert cut, "no relayed connection to reset"
        elif self.kind == "blackhole":
            assert self.relay is not None
            self.relay.blackhole()
        else:
            raise AssertionError(f"unknown fault {self.kind}")

    async def heal(self) -> None:
        if self.kind == "sshd-killed":
            await asyncio.to_thread(self.sshd.start)
        elif self.kind == "blackhole":
            assert self.relay is not None
            self.relay.restore()

    async def close(self) -> None:
        """Remove the relay; an sshd left down by a failed test is started again."""
        if self.relay is not None:
            await self.relay.close()
        if self.sshd.proc is None:
            await asyncio.to_thread(self.sshd.start)


async def make_fault(kind: str, sshd: SshdServer) -> Fault:
    """The fault `kind` on the path to `sshd` (with a started relay where it needs one)."""
    relay = None
    if kind in {"connection-reset", "blackhole"}:
        relay = TcpRelay(sshd.port)
        await relay.start()
    return Fault(kind, sshd, relay)


@dataclass
class Timeline:
    """Bounded waits for named states, each recorded (the suite prints them at the end)."""

    case: str
    records: list[tuple[str, str, float, float]]
    started: float = 0.0

    def mark(self) -> None:
        """The fault happens now: later waits are measured from here."""
        self.started = asyncio.get_running_loop().time()

    async def reach(
        self,
        state: str,
        predicate: Callable[[], object],
        *,
        within: float,
        pause: Callable[[], object] | None = None,
        detail: Callable[[], object] | None = None,
    ) -> float:
        """Wait (at most `within` s) until `predicate()`; returns the seconds since `mark()`.

        After a `mark()` the state is recorded, with `detail()` (e.g. the status shown) if given.
        """
        await wait_until(predicate, within=within, pause=pause, what=f"{self.case}: {state}")
        elapsed = asyncio.get_running_loop().time() - self.started
        if self.started:
            label = f"{state}: {detail()}" if detail is not None else state
            self.records.append((self.case, label, elapsed, within))
        return elapsed

    def note(self, state: str, within: float) -> float:
        """Record a state reached by other means (an awaited call) since `mark()`; check the
        bound."""
        elapsed = asyncio.get_running_loop().time() - self.started
        self.record(state, elapsed, within)
        return elapsed

    def record(self, state: str, seconds: float, within: float) -> None:
        """Record that `state` took `seconds` (at most `within`)."""
        assert seconds <= within, f"{self.case}: {state} took {seconds:.1f} s (bound {within} s)"
        self.records.append((self.case, state, seconds, within))
