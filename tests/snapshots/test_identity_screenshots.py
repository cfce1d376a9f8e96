"""Screenshots of the keys screen, the host key dialog and the changed-key alert.

Every key is fixed (derived from constant seeds) and every path is shown relative to the
isolated HOME, so the pictures are the same on every run with nothing normalised away.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App
from textual.widgets import Static

from tests.app.test_keys_screen import (
    KEY_SECRET,
    PPK_SECRET,
    KeysHost,
    fixed_ed25519,
    loaded,
    populate,
)
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.app.screens.dialogs.hostkey import (
    ChangedHostKeyAlert,
    HostKeyDialog,
    alert_changed,
    ask_trust,
)
from tui.app.screens.sshkeys.screen import KeysScreen
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.ssh.hostkeys import add_known_host, check_host_key, entries_for, host_key_error
from tui.core.ssh.trust import TrustRequest
from widgets.tables.sshkey import KeyTable

SIZE = (120, 36)


class Host(App[None]):
    """A bare app under the host key dialogs."""


async def test_keys_screen(isolated_home: Path, snap: Snap) -> None:
    populate(isolated_home)
    screen = KeysScreen()
    app = KeysHost(screen)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, screen)
        screen.query_one(KeyTable).select_key("file:id_ed25519")
        await pilot.pause()
        svg = app.export_screenshot()
        assert KEY_SECRET not in svg and PPK_SECRET not in svg
        snap(app, "keys-screen")


async def test_hostkey_dialog(snap: Snap) -> None:
    key = fixed_ed25519(9, "").convert_to_public()
    error = host_key_error(check_host_key((), "10.0.0.4", 22, key))
    assert isinstance(error, HostKeyUnknown)
    app = Host()
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        pending = asyncio.ensure_future(ask_trust(app, TrustRequest(error, job_id="job-4711")))
        await wait_until(
            lambda: isinstance(app.screen, HostKeyDialog) and bool(app.screen.query(Static)),
            pause=pilot.pause,
        )
        await pilot.pause()
        snap(app, "hostkey-dialog")
        await pilot.press("escape")
        await wait_until(pending.done, pause=pilot.pause)


async def test_hostkey_changed(isolated_home: Path, snap: Snap) -> None:
    known = isolated_home / ".ssh" / "known_hosts"
    known.parent.mkdir()
    known.write_text("# cluster login nodes\n")
    add_known_host(known, "login.cluster.example", 22, fixed_ed25519(3, "").convert_to_public())
    presented = fixed_ed25519(4, "").convert_to_public()
    entries = entries_for([known], "login.cluster.example")
    error = host_key_error(check_host_key(entries, "login.cluster.example", 22, presented))
    assert isinstance(error, HostKeyChanged)
    app = Host()
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        alert_changed(app, error)
        await wait_until(
            lambda: isinstance(app.screen, ChangedHostKeyAlert) and bool(app.screen.query(Static)),
            pause=pilot.pause,
        )
        await pilot.pause()
        snap(app, "hostkey-changed")
