"""Every key the user can press, with its binding id: one table for the bindings, help and docs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeySpec:
    """One binding: `id` is what `[keys]` in the config remaps."""

    id: str
    keys: str
    action: str
    description: str
    where: str
    show: bool = True


APP_KEYS = (
    KeySpec("quit", "q", "quit", "Quit", "anywhere"),
    KeySpec("help", "question_mark", "help", "Help", "anywhere"),
    KeySpec("command-palette", "ctrl+p", "command_palette", "Commands", "anywhere", show=False),
)

DASHBOARD_KEYS = (
    KeySpec("focus-log", "l", "focus_log", "Log", "dashboard"),
    KeySpec("log-search", "slash", "search_log", "Search log", "dashboard"),
    KeySpec("refresh", "r", "refresh", "Refresh", "dashboard", show=False),
)

# Keys handled inside widgets; listed for the help screen and the README.
WIDGET_KEYS = (
    KeySpec("browse", "up,down,j,k", "", "Move the cursor in a table", "tables"),
    KeySpec("open-shell", "enter", "", "Open a shell on the node (on a job: its master)", "tables"),
    KeySpec("cycle-panes", "tab,shift+tab", "", "Next / previous pane", "dashboard"),
    KeySpec("log-follow", "f", "", "Follow the log on / off", "log"),
    KeySpec("log-end", "end", "", "Jump to the end and follow", "log"),
    KeySpec("log-search-next", "n", "", "Next search match", "log"),
    KeySpec("log-search-prev", "N", "", "Previous search match", "log"),
)


def display_keys(keys: str) -> str:
    """`question_mark,slash` -> `? /`, for the help screen."""
    names = {"question_mark": "?", "slash": "/", "shift+tab": "shift+tab"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def all_keys() -> tuple[KeySpec, ...]:
    """Every documented key, in help order."""
    return DASHBOARD_KEYS + WIDGET_KEYS + APP_KEYS
