"""Quitting: ask first while shells or tunnels are open (`[ui] confirm_quit`)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from tui.app.screens.dialogs.confirm import ConfirmDialog


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def quit_question(shells: int, tunnels: int, kept: int = 0) -> str | None:
    """What to ask before quitting with `shells` and `tunnels` open (`kept` of the shells in
    tmux, which keep running), or None: nothing is open."""
    closed = shells - kept
    parts = [_count(n, noun) for n, noun in ((closed, "shell"), (tunnels, "tunnel")) if n]
    if not parts and not kept:
        return None
    question = ""
    if parts:
        verb = "is" if closed + tunnels == 1 else "are"
        question = (
            f"{' and '.join(parts)} {verb} open; quitting closes "
            f"{'it' if closed + tunnels == 1 else 'them'}. "
        )
    if kept:
        question += f"{kept_message(kept, lines=True)}\n"
    return question + "Quit clusterdeck?"


def kept_message(kept: int, *, lines: bool = False) -> str:
    """What is said about the `kept` tmux sessions left running when quitting (`lines`: with
    line breaks, for the dialog)."""
    return (
        f"{_count(kept, 'persistent shell')} keep{'s' if kept == 1 else ''} running in tmux on "
        f"the nodes;{chr(10) if lines else ' '}alt+s on the shells screen restores "
        f"{'it' if kept == 1 else 'them'} at the next start."
    )


class QuitDialog(ConfirmDialog):
    """Asks before quitting; the quit key pressed again confirms (same id: remapped with it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__("Quit", question, confirm="Quit")
