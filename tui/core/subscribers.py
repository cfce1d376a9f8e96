"""Callbacks that can unsubscribe themselves; one failing callback never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

Event = TypeVar("Event")

log = logging.getLogger(__name__)


class Subscribers(Generic[Event]):
    """Who wants `Event`s: `add(callback)` returns the function that unsubscribes it."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._callbacks: list[Callable[[Event], None]] = []

    def add(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` with every event from now on; returns the unsubscribe function."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def emit(self, event: Event) -> None:
        """Give `event` to every callback; one that raises is logged and the others still run."""
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("a %s subscriber failed on %r", self._what, event)
