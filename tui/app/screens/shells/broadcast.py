"""Broadcast input: what is typed or pasted into one marked shell tab goes to every marked one.

Like tmux's `synchronize-panes` or cssh. Each key is encoded by each terminal for its own
remote's modes (application cursor keys), and a paste is sanitised and bracketed per remote.
"""

from __future__ import annotations

from collections.abc import Callable

from widgets.terminal.taps import KeyInput, TypedInput
from widgets.terminal.view import TerminalView


class Broadcast:
    """The marked terminals and the mirroring between them.

    Args:
        changed: Called after the set of marked terminals changed (labels, status line).
    """

    def __init__(self, changed: Callable[[], None]) -> None:
        self._marked: dict[TerminalView, None] = {}
        self._changed = changed
        self._mirroring = False

    @property
    def views(self) -> list[TerminalView]:
        """The marked terminals, in the order they were marked."""
        return list(self._marked)

    def is_marked(self, view: TerminalView) -> bool:
        return view in self._marked

    def toggle(self, view: TerminalView) -> bool:
        """Mark `view`, or unmark it when it is; True when it is marked now."""
        if view in self._marked:
            self.discard(view)
            return False
        self.mark([view])
        return True

    def mark(self, views: list[TerminalView]) -> None:
        """Mark every one of `views` (those marked already stay)."""
        for view in views:
            self._marked[view] = None
            view.input_listener = self._typed
        self._changed()

    def discard(self, view: TerminalView) -> None:
        """Unmark `view` (its tab closed, or the user unmarked it)."""
        if view in self._marked:
            del self._marked[view]
            view.input_listener = None
            self._changed()

    def clear(self) -> int:
        """Unmark every terminal; returns how many were marked."""
        count = len(self._marked)
        for view in self._marked:
            view.input_listener = None
        self._marked.clear()
        self._changed()
        return count

    def paste_targets(self, view: TerminalView) -> list[TerminalView]:
        """The running terminals a paste into `view` reaches (`view` first)."""
        if view not in self._marked:
            return [view]
        return [view, *(other for other in self._marked if other is not view and other.running)]

    def _typed(self, source: object, typed: TypedInput) -> None:
        if self._mirroring or source not in self._marked:
            return
        self._mirroring = True  # the copies below must not be mirrored again
        try:
            for view in self._marked:
                if view is source or not view.running:
                    continue
                if isinstance(typed, KeyInput):
                    view.send_key(typed.key, typed.character)
                else:
                    view.paste(typed.text)
        finally:
            self._mirroring = False


class BroadcastPaste:
    """The clipboard flow's `Terminal` for a paste into a marked tab: it asks for bracketed
    paste only when every target did, so a multi-line paste is confirmed when any would run
    it line by line."""

    def __init__(self, targets: list[TerminalView]) -> None:
        self.targets = targets

    @property
    def running(self) -> bool:
        return self.targets[0].running

    @property
    def bracketed_paste(self) -> bool:
        return all(view.bracketed_paste for view in self.targets)

    def paste(self, text: str) -> None:
        self.targets[0].paste(text)  # the broadcast mirrors it into the others
