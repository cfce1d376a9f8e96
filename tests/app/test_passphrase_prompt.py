"""The passphrase dialog says why it is back; the keys screen re-asks skipped keys."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label

from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.app.screens.dialogs.passphrase import PassphraseDialog
from tui.app.screens.sshkeys.screen import KeysScreen

Running = tuple[ClusterdeckApp, Pilot[None]]


async def test_a_wrong_passphrase_is_said_in_the_dialog(running_app: Running) -> None:
    app, pilot = running_app
    error = "wrong passphrase, 2 tries left"
    answer = asyncio.ensure_future(app.ask_passphrase(Path("/keys/id"), error))
    await wait_until(
        lambda: isinstance(app.screen, PassphraseDialog), pause=pilot.pause, what="dialog"
    )
    shown = str(app.screen.query_one("#passphrase-error", Label).render())
    assert shown == "Wrong passphrase, 2 tries left."
    await pilot.press("escape")
    await wait_until(answer.done, pause=pilot.pause, what="answer")


async def test_the_keys_screen_asks_again_for_skipped_keys(running_app: Running) -> None:
    app, pilot = running_app
    app.pool._declined_keys.add(Path("/keys/id"))
    app.action_keys()
    await wait_until(lambda: isinstance(app.screen, KeysScreen), pause=pilot.pause, what="keys")
    await pilot.press("a")
    await wait_until(lambda: not app.pool.skipped_keys, pause=pilot.pause, what="cleared")
