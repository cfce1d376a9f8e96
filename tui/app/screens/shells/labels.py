"""What a shell tab's label says: how its session ended, its persistence and its route."""

from __future__ import annotations

from tui.core.ssh.persistent_shell import PersistentShell
from widgets.terminal.backend import ExitInfo

LABEL_REASON_CELLS = 40
"""A reason in a tab label is cut to this many characters (the tab's bottom row has it all)."""
LABEL_ROUTE_CELLS = 48
"""The route in a tab label ("srun --overlap (ssh to node refused: ...)") is cut to this; the
hint line above the tabs shows the selected tab's route whole."""


def short_route(route: str) -> str:
    """`route` cut to LABEL_ROUTE_CELLS characters (with an ellipsis, closing its bracket)."""
    if len(route) <= LABEL_ROUTE_CELLS:
        return route
    cut = route[: LABEL_ROUTE_CELLS - 2].rstrip()
    return f"{cut}…)" if "(" in cut else f"{cut}…"


def ended_label(info: ExitInfo) -> str:
    """The tab label's suffix once a session ended: ` (exited)`, ` (failed: reason)` or
    ` (disconnected: reason)`."""
    reason = info.reason
    if reason.startswith("failed: "):
        kind, reason = "failed", reason.removeprefix("failed: ")
    elif info.disconnected:
        kind = "disconnected"
    else:
        return " (exited)"
    reason = reason.split(" — ")[0].removeprefix("connection lost: ")
    if len(reason) > LABEL_REASON_CELLS and ": " in reason:
        reason = reason.split(": ", 1)[1]  # "title: what happened": the second part says more
    if len(reason) > LABEL_REASON_CELLS:
        reason = reason[: LABEL_REASON_CELLS - 1].rstrip() + "…"
    return f" ({kind}: {reason})"


def persist_tag(shell: PersistentShell) -> str:
    """What the tab label says about a persistent shell: ` · tmux` (or screen), ` · plain`, and
    the reattach."""
    tag = ""
    if shell.persistent:
        tag = f" · {shell.active}"
    elif shell.active == "plain" and shell.mode != "off":
        tag = " · plain"
    if shell.status:
        tag += f" ({shell.status})"
    return tag
