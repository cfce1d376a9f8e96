"""Push a dialog and wait for its answer: the one helper for every "ask the user" callback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.screen import Screen

T = TypeVar("T")


def answer_once(answer: asyncio.Future[T | None]) -> Callable[[T | None], None]:
    """A dialog callback that settles `answer` once; later answers (or a cancelled wait) are
    ignored instead of raising `InvalidStateError`."""

    def settle(result: T | None) -> None:
        if not answer.done():
            answer.set_result(result)

    return settle


async def ask(app: App[Any], screen: Screen[T]) -> T | None:
    """Push `screen` and wait until it is dismissed; its result (None when dismissed empty)."""
    answer: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
    app.push_screen(screen, callback=answer_once(answer))
    return await answer
