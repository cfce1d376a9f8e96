"""A changed host key shows one alert however many connects to the host fail meanwhile."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest
from textual.pilot import Pilot

from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.dialogs.hostkey import ChangedHostKeyAlert
from tui.core.errors import HostKeyChanged
from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import add_known_host

Running = tuple[ClusterdeckApp, Pilot[None]]


class _Open(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return False


def _alerts(app: ClusterdeckApp) -> int:
    return sum(isinstance(screen, ChangedHostKeyAlert) for screen in app.screen_stack)


async def test_retries_share_one_changed_key_alert_and_wait_for_it(running_app: Running) -> None:
    app, pilot = running_app
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    listener = await asyncssh.listen(
        "127.0.0.1", 0, server_host_keys=[host_key], server_factory=_Open
    )
    port = listener.get_port()
    stale = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    add_known_host(app.settings.known_hosts_path, "127.0.0.1", port, stale)
    try:
        tries = [
            asyncio.ensure_future(app.pool.connect(SshTarget("127.0.0.1", port, user)))
            for user in ("a", "b", "c")
        ]
        await wait_until(lambda: _alerts(app) == 1, pause=pilot.pause, what="the alert")
        await wait_until(lambda: app.pool._dialogs.waiting == 2, pause=pilot.pause, what="retries")
        assert _alerts(app) == 1 and not any(t.done() for t in tries)
        await pilot.press("escape")
        for attempt in tries:
            with pytest.raises(HostKeyChanged):
                await attempt
        assert _alerts(app) == 0
    finally:
        listener.close()
        await listener.wait_closed()
