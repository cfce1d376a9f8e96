"""Delivers `Notice`s: as Textual notifications and on the desktop (`[notify]` channels)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from textual.app import App

from tui.core.config.watching import DesktopChannel, NotifySettings
from tui.core.watch.desktop import choose_channel, notify_send_argv, osc9, osc777
from tui.core.watch.notices import Notice

log = logging.getLogger(__name__)

NOTIFY_SEND_TIMEOUT = 5.0

_URGENCY = {"information": "normal", "warning": "normal", "error": "critical"}


def write_outer_terminal(app: App[Any], text: str) -> None:
    """Write `text` to the terminal the app runs in (OSC notifications), through its driver."""
    driver = app._driver
    if driver is not None:
        driver.write(text)
        driver.flush()


class NoticeDelivery:
    """Shows each loud notice in the app (`toast`) and through the desktop channel.

    Args:
        app: Shows toasts (its `notify` makes text inert again) and rings the bell.
        settings: The `[notify]` section.
        write_terminal: Writes to the outer terminal (Textual's driver), for OSC 777 / 9.
    """

    def __init__(
        self,
        app: App[Any],
        settings: NotifySettings,
        *,
        write_terminal: Callable[[str], None],
        channel: DesktopChannel | None = None,
    ) -> None:
        self._app = app
        self._settings = settings
        self._write = write_terminal
        self.channel: DesktopChannel = channel or choose_channel(settings.desktop)
        """The desktop channel in use ("off" for none)."""
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, notice: Notice) -> None:
        if not notice.loud:
            return
        if self._settings.toast and notice.toast:
            self._app.notify(
                notice.message,
                title=notice.title,
                severity=notice.severity,
                timeout=15 if notice.severity != "information" else 8,
            )
        self._desktop(notice)

    def _desktop(self, notice: Notice) -> None:
        channel = self.channel
        if channel == "notify-send":
            task = asyncio.create_task(self._notify_send(notice))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif channel == "osc777":
            self._write(osc777(notice.title, notice.message))
        elif channel == "osc9":
            self._write(osc9(notice.title, notice.message))
        elif channel == "bell":
            self._app.bell()

    async def _notify_send(self, notice: Notice) -> None:
        argv = notify_send_argv(
            notice.title, notice.message, urgency=_URGENCY.get(notice.severity, "normal")
        )
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            log.info("notify-send failed (%s); using the terminal bell", exc)
            status = -1
        else:
            try:
                async with asyncio.timeout(NOTIFY_SEND_TIMEOUT):
                    status = await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
                status = -1
        if status != 0:
            self.channel = "bell"  # no notification daemon: do not try again every time
            self._app.bell()
