"""Quitting: ask first while shells or tunnels are open (`[ui] confirm_quit`)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from tui.app.screens.dialogs.confirm import ConfirmDialog


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def quit_question(shells: int, tunnels: int) -> str | None:
    """What to ask before quitting with `shells` and `tunnels` open, or None: nothing is open."""
    parts = [_count(n, noun) for n, noun in ((shells, "shell"), (tunnels, "tunnel")) if n]
    if not parts:
        return None
    verb = "is" if shells + tunnels == 1 else "are"
    return (
        f"{' and '.join(parts)} {verb} open; quitting closes "
        f"{'it' if shells + tunnels == 1 else 'them'}. Quit clusterdeck?"
    )


class QuitDialog(ConfirmDialog):
    """Asks before quitting; the quit key pressed again confirms (same id: remapped with it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__("Quit", question, confirm="Quit")
