"""The host key dialog and the changed-key alert, alone and driving a real connection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Static

from tests.conftest import wait_until
from tests.integration.sshd import keygen, running_sshd, ssh_keygen_fingerprint
from tui.app.screens.dialogs.hostkey import (
    ChangedHostKeyAlert,
    HostKeyDialog,
    alert_changed,
    ask_trust,
)
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.identity.keyinfo import parse_public_line
from tui.core.ssh.hostkeys import add_known_host, check_host_key, entries_for, host_key_error
from tui.core.ssh.pool import SshPool
from tui.core.ssh.trust import TrustChoice, TrustRequest


class Host(App[None]):
    """A bare app to show the dialogs on."""


def unknown(job_id: str | None = None) -> TrustRequest:
    key = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    error = host_key_error(check_host_key((), "10.0.0.4", 22, key))
    assert isinstance(error, HostKeyUnknown)
    return TrustRequest(error, job_id=job_id)


def showing(app: App[Any], screen: type[object]) -> bool:
    """True once `screen` is on top and composed."""
    return isinstance(app.screen, screen) and bool(app.screen.query(Button))


def text_of(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def answer(pilot: Pilot[None], request: HostKeyUnknown, *keys: str) -> TrustChoice | None:
    app = pilot.app
    choice = asyncio.ensure_future(ask_trust(app, request))
    await wait_until(lambda: showing(app, HostKeyDialog), pause=pilot.pause)
    await pilot.press(*keys)
    await wait_until(choice.done, pause=pilot.pause, what="an answer")
    return choice.result()


async def test_dialog_shows_the_key_and_returns_each_choice() -> None:
    app = Host()
    async with app.run_test(size=(120, 36)) as pilot:
        request = unknown(job_id="job-4711")
        pending = asyncio.ensure_future(ask_trust(app, request))
        await wait_until(lambda: showing(app, HostKeyDialog), pause=pilot.pause)
        facts = text_of(app, "#hostkey-facts")
        assert "10.0.0.4" in facts and "ssh-ed25519" in facts and "job-4711" in facts
        assert request.fingerprint in facts
        art = parse_public_line(request.public_key).randomart()
        assert text_of(app, "#hostkey-art") == art
        assert app.screen.focused is app.screen.query_one("#cancel")  # safe default
        await pilot.click("#remember")
        await wait_until(pending.done, pause=pilot.pause)
        assert pending.result() == "remember"
        assert await answer(pilot, unknown(), "o") == "once"
        assert await answer(pilot, unknown("j-1"), "j") == "job"
        assert await answer(pilot, unknown(), "escape") is None


async def test_job_trust_is_not_offered_without_a_job() -> None:
    app = Host()
    async with app.run_test(size=(120, 36)) as pilot:
        pending = asyncio.ensure_future(ask_trust(app, unknown()))
        await wait_until(lambda: showing(app, HostKeyDialog), pause=pilot.pause)
        assert app.screen.query_one("#job", Button).disabled
        await pilot.press("j")
        await pilot.pause()
        assert not pending.done() and isinstance(app.screen, HostKeyDialog)
        await pilot.press("escape")
        await wait_until(pending.done, pause=pilot.pause)
        assert pending.result() is None


async def test_changed_key_alert_shows_both_fingerprints_and_the_line(
    isolated_home: Path,
) -> None:
    old, new = (asyncssh.generate_private_key("ssh-ed25519") for _ in range(2))
    known = isolated_home / ".ssh" / "known_hosts"
    known.parent.mkdir()
    known.write_text("# managed by hand\n")
    add_known_host(known, "login.example", 2222, old.convert_to_public())
    error = host_key_error(
        check_host_key(entries_for([known], "login.example", 2222), "login.example", 2222, new)
    )
    assert isinstance(error, HostKeyChanged)
    app = Host()
    async with app.run_test(size=(120, 36)) as pilot:
        alert_changed(app, error)
        await wait_until(lambda: showing(app, ChangedHostKeyAlert), pause=pilot.pause)
        facts = text_of(app, "#changed-facts")
        assert old.get_fingerprint() in facts and new.get_fingerprint() in facts
        assert "~/.ssh/known_hosts line 2" in facts
        fix = text_of(app, "#changed-fix")
        assert "ssh-keygen -R '[login.example]:2222' -f ~/.ssh/known_hosts" in fix
        assert [b.id for b in app.screen.query(Button)] == ["close"]  # no override
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, ChangedHostKeyAlert), pause=pilot.pause)


@pytest.mark.sshd
async def test_unknown_host_dialog_then_remembered_then_changed_key_refused(
    tmp_path: Path,
) -> None:
    known = tmp_path / "state" / "known_hosts"
    app = Host()
    with running_sshd(tmp_path / "sshd") as sshd:
        async with app.run_test(size=(120, 36)) as pilot:

            def pool() -> SshPool:
                return SshPool(
                    known_hosts_paths=[known],
                    host_key_callback=lambda request: ask_trust(app, request),
                    host_key_alert=lambda error: alert_changed(app, error),
                )

            first = pool()
            login = asyncio.ensure_future(first.run(sshd.target(), "echo hi", timeout=10))
            await wait_until(lambda: showing(app, HostKeyDialog), pause=pilot.pause, within=20)
            shown = text_of(app, "#hostkey-facts")
            assert ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub")) in shown
            assert sshd.accepted_logins() == 0  # nothing sent before the user decided
            await pilot.press("r")
            await wait_until(login.done, pause=pilot.pause, within=20, what="login")
            assert login.result() == (0, "hi\n", "")
            await first.close()
            assert sshd.host_public_key() in known.read_text()

            sshd.stop()
            for path in (sshd.host_key, Path(f"{sshd.host_key}.pub")):
                path.unlink()
            keygen(sshd.host_key)
            sshd.start()
            second = pool()
            refused = asyncio.ensure_future(second.connect(sshd.target()))
            await wait_until(
                lambda: showing(app, ChangedHostKeyAlert), pause=pilot.pause, within=20
            )
            facts = text_of(app, "#changed-facts")
            assert ssh_keygen_fingerprint(Path(f"{sshd.host_key}.pub")) in facts
            assert "line 1" in facts
            assert not refused.done()  # the refusal waits until the alert is closed
            await pilot.press("escape")
            await wait_until(refused.done, pause=pilot.pause, within=20)
            assert isinstance(refused.exception(), HostKeyChanged)
            await second.close()
    assert sshd.accepted_logins() == 1
