"""One host key dialog per host at a time: concurrent connects and retries share it.

A provider that retries, or several connects to one host (shells, tunnels, log tails), would
otherwise each push a dialog. `HostKeyDialogs` runs the first one and makes the others wait for
it: an unknown-host question is answered once for everyone waiting, and a changed-key alert is
shown once per host and new key for the session (later failures are refused quietly, after
the alert is closed, so their error never covers it).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.ssh.trust import HostKeyAlert

T = TypeVar("T")
DialogKey = tuple[str, int, str]
"""(host, port, the key's fingerprint)."""


def dialog_key(error: HostKeyUnknown | HostKeyChanged) -> DialogKey:
    """Which dialog `error` would show: one per host, port and presented key."""
    return (error.host, error.port, error.fingerprint)


class HostKeyDialogs:
    """Shares one dialog among every connect to the same host that needs it."""

    def __init__(self) -> None:
        self._shown: dict[DialogKey, asyncio.Future[object]] = {}
        self._alerted: set[DialogKey] = set()
        self.waiting = 0
        """Connects waiting for a dialog another connect showed (tests wait on it)."""

    async def ask(
        self, error: HostKeyUnknown | HostKeyChanged, show: Callable[[], Awaitable[T]]
    ) -> T:
        """`show()`'s answer for `error`'s host: shown by the first caller, shared by the rest."""
        key = dialog_key(error)
        while (shown := self._shown.get(key)) is not None:
            self.waiting += 1
            try:
                await asyncio.wait([shown])
            finally:
                self.waiting -= 1
            if not shown.cancelled():  # else the caller who showed it was cancelled: show again
                return cast(T, shown.result())
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._shown[key] = future
        try:
            answer = await show()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: there may be no one waiting
            raise
        finally:
            del self._shown[key]
        future.set_result(answer)
        return answer

    async def alert(self, error: HostKeyChanged, show: HostKeyAlert) -> None:
        """Show the changed-key alert for `error` once; wait while it (or another's) is shown."""
        key = dialog_key(error)
        if key in self._alerted and key not in self._shown:
            return

        async def run() -> None:
            self._alerted.add(key)
            shown = show(error)
            if inspect.isawaitable(shown):
                await shown

        await self.ask(error, run)
