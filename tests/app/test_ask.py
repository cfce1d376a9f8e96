"""`ask`: push a dialog, await its answer; a late or second answer never raises."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from tests.conftest import wait_until
from tui.app.screens.dialogs.ask import answer_once, ask


class Question(ModalScreen[str]):
    def compose(self) -> ComposeResult:
        yield Static("yes or no?")


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("host")


async def test_ask_returns_the_answer_and_none_when_dismissed_empty() -> None:
    app = Host()
    async with app.run_test() as pilot:
        for result in ("yes", None):
            question = Question()
            answer = ask(app, question)
            waiting = asyncio.create_task(answer)

            def shown(q: Question = question) -> bool:
                return app.screen is q

            def gone(q: Question = question) -> bool:
                return app.screen is not q

            await wait_until(shown, pause=pilot.pause, what="dialog")
            question.dismiss(result)
            async with asyncio.timeout(10):
                assert await waiting == result
            await wait_until(gone, pause=pilot.pause)


def test_the_first_answer_wins_and_a_second_is_ignored() -> None:
    loop = asyncio.new_event_loop()
    try:
        answer: asyncio.Future[str | None] = loop.create_future()
        settle = answer_once(answer)
        settle("first")
        settle("second")  # a plain set_result here would raise InvalidStateError
        assert answer.result() == "first"
    finally:
        loop.close()


async def test_an_answer_after_the_asker_gave_up_does_not_crash_the_app() -> None:
    app = Host()
    async with app.run_test() as pilot:
        question = Question()
        answer = ask(app, question)
        waiting = asyncio.create_task(answer)
        await wait_until(lambda: app.screen is question, pause=pilot.pause, what="dialog")
        waiting.cancel()  # e.g. an exclusive worker replaced while the dialog was open
        await asyncio.gather(waiting, return_exceptions=True)
        question.dismiss("too late")
        await wait_until(lambda: app.screen is not question, pause=pilot.pause, what="closed")
        await pilot.pause()
        assert app.is_running and app.return_code is None
