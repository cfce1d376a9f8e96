"""`q` quits at once when nothing is open, and asks first while shells or tunnels are."""

from __future__ import annotations

from tests.app.test_shells import open_shell
from tests.apphelpers import AppFactory, Running, settle_dashboard
from tests.conftest import wait_until
from tui.app.quitting import QuitDialog, quit_question
from widgets.tables.job import JobTable


def test_the_question_names_what_is_open() -> None:
    assert quit_question(0, 0) is None
    assert quit_question(1, 0) == "1 shell is open; quitting closes it. Quit clusterdeck?"
    assert quit_question(2, 1) == (
        "2 shells and 1 tunnel are open; quitting closes them. Quit clusterdeck?"
    )
    assert quit_question(0, 3) == "3 tunnels are open; quitting closes them. Quit clusterdeck?"


async def test_q_quits_at_once_with_nothing_open(running_app: Running) -> None:
    app, pilot = running_app
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("q")
    await wait_until(lambda: app.return_code is not None, pause=pilot.pause, what="the exit")
    assert app.return_code == 0


async def test_q_asks_while_a_shell_is_open(running_app: Running) -> None:
    app, pilot = running_app
    await open_shell(app, pilot)
    await pilot.press("ctrl+right_square_bracket")
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="dashboard")
    await pilot.press("q")
    await wait_until(
        lambda: isinstance(app.screen, QuitDialog), pause=pilot.pause, what="the question"
    )
    assert isinstance(app.screen, QuitDialog)
    assert app.screen.question.startswith("1 shell is open")
    await pilot.press("escape")  # no: back to the dashboard, the shell still running
    await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="dashboard")
    assert app.return_code is None and app.terminals.views[0].running
    await pilot.press("q")
    await wait_until(
        lambda: isinstance(app.screen, QuitDialog), pause=pilot.pause, what="the question"
    )
    await pilot.press("q")  # the quit key again: yes
    await wait_until(lambda: app.return_code is not None, pause=pilot.pause, what="the exit")


async def test_q_asks_while_a_tunnel_is_open(running_app: Running) -> None:
    app, pilot = running_app
    await wait_until(
        lambda: any(n.title == "Service detected" for n in app._notifications),
        pause=pilot.pause,
        what="a service in the demo log",
    )
    app.main_screen.query_one(JobTable).focus()
    await pilot.press("T")
    await wait_until(
        lambda: any(t.state.is_open for t in app.tunnels.tunnels),
        pause=pilot.pause,
        within=15,
        what="the tunnel",
    )
    await pilot.press("q")
    await wait_until(
        lambda: isinstance(app.screen, QuitDialog), pause=pilot.pause, what="the question"
    )
    assert isinstance(app.screen, QuitDialog)
    assert app.screen.question.startswith("1 tunnel is open")
    await pilot.click("#confirm")
    await wait_until(lambda: app.return_code is not None, pause=pilot.pause, what="the exit")


async def test_confirm_quit_off_quits_at_once(app_factory: AppFactory) -> None:
    app = app_factory(confirm_quit=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        await open_shell(app, pilot)
        await pilot.press("ctrl+right_square_bracket")
        await wait_until(lambda: app.screen is app.main_screen, pause=pilot.pause, what="back")
        await pilot.press("q")
        await wait_until(lambda: app.return_code is not None, pause=pilot.pause, what="exit")
