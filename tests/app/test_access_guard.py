"""The access-rule guard: a shell to a job whose CIDR excludes this workstation warns first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.core.models import Job
from tui.core.providers.demo.provider import DemoProvider
from widgets.tables.node import NodeTable


@pytest.fixture
async def address_service() -> AsyncIterator[str]:
    """A loopback HTTP endpoint that says this workstation's address is 203.0.113.7."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n203.0.113.7\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/"
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize(("rule", "warned"), [("10.0.0.0/8", True), ("203.0.113.0/24", False)])
async def test_shell_to_a_job_outside_its_rule_warns(
    app_factory: AppFactory,
    address_service: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rule: str,
    warned: bool,
) -> None:
    async def details(self: DemoProvider, job: Job) -> dict[str, str]:
        return {"Access restriction (CIDR)": rule}

    monkeypatch.setattr(DemoProvider, "job_details", details)
    app = app_factory(address_url=address_service)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.main_screen.query_one(NodeTable).focus()
        await pilot.press("enter")
        await wait_until(
            lambda: bool(app.terminals.views) and app.terminals.views[0].running,
            pause=pilot.pause,
            within=15,
            what="shell",
        )
        await wait_until(lambda: bool(app.access_verdicts), pause=pilot.pause, what="checked")
        assert next(iter(app.access_verdicts.values())).allowed is not warned
        titles = [n.title for n in app._notifications]
        assert ("Outside the job's access rule" in titles) is warned
        if warned:
            note = next(n for n in app._notifications if n.title.startswith("Outside"))
            assert "203.0.113.7" in note.message and "203.0.113.7/32" in note.message


async def test_access_rule_dialog_validates_and_copies(app_factory: AppFactory) -> None:
    from textual.widgets import Input, Static

    from tui.app.screens.dialogs.access_rule import AccessRuleDialog

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        await pilot.press("a")
        await wait_until(
            lambda: isinstance(app.screen, AccessRuleDialog), pause=pilot.pause, what="dialog"
        )
        field = app.screen.query_one(Input)
        verdict = app.screen.query_one("#access-verdict", Static)
        box = app.screen.query_one(".dialog-box").region
        assert abs(box.x - (120 - box.right)) <= 1, f"not centred across: {box}"
        assert abs(box.y - (36 - box.bottom)) <= 1, f"not centred down: {box}"
        for bad, words in (("10.0.0.0/33", "10.0.0.0/33"), ("abc", "abc")):
            field.value = bad

            def shows_error(w: str = words) -> bool:
                return w in str(verdict.render()) and "Valid" not in str(verdict.render())

            await wait_until(
                shows_error,
                pause=pilot.pause,
                what=f"error for {bad}",
            )
        field.value = "203.0.113.7/32, 2001:db8::/48"
        await wait_until(
            lambda: "Valid: 203.0.113.7/32, 2001:db8::/48" in str(verdict.render()),
            pause=pilot.pause,
            what="valid rule",
        )
        await pilot.click("#everywhere")
        await wait_until(
            lambda: field.value == "0.0.0.0/0, ::/0", pause=pilot.pause, what="everywhere"
        )
        await pilot.click("#copy")
        await wait_until(
            lambda: app.bridge.read_local() == "0.0.0.0/0, ::/0",
            pause=pilot.pause,
            what="rule copied",
        )
