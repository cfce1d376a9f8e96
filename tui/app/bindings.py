"""Every key the user can press: the app's own bindings, and the keys table read off BINDINGS.

The app and its screens build their `BINDINGS` from the `KeySpec`s below. The help screen, the
README's Keys table and the check of `[keys]` ids all walk the real `BINDINGS` of the app's
classes, so a key is written down once. `python -m tui.app.bindings --markdown` prints the
README table.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class KeySpec:
    """One of the app's bindings, before it becomes a `Binding`: `id` is what `[keys]` remaps."""

    id: str
    keys: str
    action: str
    description: str
    show: bool = True
    tooltip: str = ""
    """The longer text of the help screen and the README's keys table (else `description`)."""


APP_KEYS = (
    KeySpec("quit", "q", "quit", "Quit"),
    KeySpec("help", "question_mark", "help", "Help"),
    KeySpec("command-palette", "ctrl+p", "command_palette", "Commands", show=False),
    KeySpec(
        "toggle-terminals",
        "ctrl+right_square_bracket",
        "toggle_terminals",
        "Shells / dashboard",
    ),
    KeySpec("push-clipboard", "alt+v,ctrl+shift+v", "push_clipboard", "Push clipboard"),
)

DASHBOARD_KEYS = (
    KeySpec("focus-log", "l", "focus_log", "Log"),
    KeySpec("log-search", "slash", "search_log", "Search"),
    KeySpec("refresh", "r", "refresh", "Refresh", show=False),
    KeySpec("external-ssh", "x", "external_ssh", "System ssh", show=False),
    KeySpec("clipboard", "c", "app.clipboard", "Clipboard"),
    KeySpec("job-details", "i", "job_details", "Details", show=False),
    KeySpec("keys", "K", "app.keys", "Keys"),
    KeySpec("access-rule", "a", "access_rule", "Access rule", show=False),
    KeySpec("tunnels", "t", "app.tunnels", "Tunnels"),
    KeySpec("tunnel-detected", "T", "tunnel_detected", "Tunnel it", show=False),
    KeySpec("stop-job", "s", "stop_job", "Stop job"),
    KeySpec("array-toggle", "space", "toggle_array", "Expand array", show=False),
    KeySpec("log-stream", "e", "switch_log", "StdOut / StdErr", show=False),
    KeySpec("ssh-config", "S", "ssh_config", "SSH config", show=False),
    KeySpec("node-sessions", "P", "app.node_sessions", "Shell sessions on the node", show=False),
    KeySpec("node-metrics", "m", "node_metrics", "Metrics"),
    KeySpec("notifications", "H", "app.notifications", "Notifications", show=False),
    KeySpec("files", "F", "files", "Files"),
)

TERMINAL_KEYS = (
    KeySpec("next-tab", "ctrl+pagedown", "next_tab", "Next tab"),
    KeySpec("previous-tab", "ctrl+pageup", "previous_tab", "Previous tab"),
    KeySpec("close-tab", "ctrl+shift+w,ctrl+w", "close_tab", "Close tab"),
    KeySpec(
        "broadcast-mark",
        "alt+b",
        "broadcast_mark",
        "Broadcast",
        tooltip="Mark / unmark this tab for broadcast input",
    ),
    KeySpec(
        "broadcast-job",
        "alt+shift+b",
        "broadcast_job",
        "Broadcast job",
        show=False,
        tooltip="Mark every tab on this job's nodes for broadcast input",
    ),
    KeySpec(
        "broadcast-off",
        "alt+x",
        "broadcast_off",
        "Broadcast off",
        tooltip="Broadcast off: unmark every tab",
    ),
    KeySpec("record", "alt+r", "record", "Record", tooltip="Record this tab (asciicast) on / off"),
    KeySpec(
        "restore-sessions",
        "alt+s",
        "restore_sessions",
        "Restore",
        show=False,
        tooltip="Restore the shell sessions still running on the nodes",
    ),
)
"""Chords on the shell screen: the terminal passes these keys to the app, not to the remote.
(`ctrl+w` reaches the app only once the shell has ended; while it runs it goes to the shell.)"""

TUNNEL_KEYS = (
    KeySpec("tunnel-add", "a", "add", "Add"),
    KeySpec("tunnel-remove", "d,delete", "remove", "Remove"),
    KeySpec("tunnel-restart", "r", "restart", "Restart"),
    KeySpec("tunnel-copy-url", "c", "copy_url", "Copy URL"),
    KeySpec("tunnel-open-browser", "o", "open_browser", "Open in browser"),
    KeySpec("tunnel-back", "escape,t", "back", "Dashboard"),
)
"""The tunnel screen's keys, with their binding ids (for the help screen and `[keys]`)."""

FILES_KEYS = (
    KeySpec("files-parent", "backspace", "parent", "Up a folder"),
    KeySpec("files-goto", "g", "goto", "Go to"),
    KeySpec("files-filter", "slash", "filter", "Filter"),
    KeySpec("files-hidden", "full_stop", "toggle_hidden", "Hidden files", show=False),
    KeySpec("files-sort", "o", "cycle_sort", "Sort", show=False),
    KeySpec("files-download", "d", "download", "Download"),
    KeySpec("files-upload", "u", "upload", "Upload"),
    KeySpec("files-watch", "w", "watch", "Watch outputs"),
    KeySpec("files-mkdir", "m", "mkdir", "New folder", show=False),
    KeySpec("files-rename", "n", "rename", "Rename", show=False),
    KeySpec("files-delete", "delete", "delete", "Delete", show=False),
    KeySpec("files-bookmark", "b", "bookmark", "Bookmark", show=False),
    KeySpec("files-bookmarks", "B", "bookmarks", "Bookmarks"),
    KeySpec("files-cancel", "c", "cancel_transfer", "Cancel transfer", show=False),
    KeySpec("files-retry", "t", "retry_transfer", "Retry transfer", show=False),
    KeySpec("files-refresh", "r", "reload", "Refresh", show=False),
    KeySpec("files-back", "escape", "back", "Dashboard"),
)
"""The Files screen's keys (enter on a row opens a folder or previews a file)."""


@dataclass(frozen=True)
class KeyHelp:
    """One row of the keys table: a binding's keys, where they work, what they do, its id."""

    id: str
    keys: str
    """Textual key names, comma-separated (as in `Binding.key`)."""
    description: str
    where: str
    action: str = ""


TEXTUAL_KEYS = (
    KeyHelp("browse", "up,down,j,k", "Move the cursor in a table", "tables"),
    KeyHelp("open-shell", "enter", "Open a shell on the node (on a job: its master)", "tables"),
    KeyHelp("cycle-panes", "tab,shift+tab", "Next / previous pane", "dashboard"),
    KeyHelp("files-open", "enter", "Open a folder / preview a file", "files"),
)
"""Keys of Textual's own DataTable and Screen bindings (and the tables' j/k), which have no
binding id: documented under these names, which `[keys]` accepts but cannot remap."""


def display_keys(keys: str) -> str:
    """`question_mark,slash` -> `? /`, for the help screen."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "full_stop": ".",
        "ctrl+right_square_bracket": "ctrl+]",
    }
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def binding_owners() -> list[type[DOMNode]]:
    """The app, screen and widget classes of clusterdeck that declare their own `BINDINGS`."""
    importlib.import_module("tui.app.app")
    for package in ("tui.app.screens", "widgets"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    owners: list[type[DOMNode]] = []
    seen: set[type[DOMNode]] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        for cls in pending.pop().__subclasses__():
            if cls not in seen:
                seen.add(cls)
                pending.append(cls)
                if cls.__module__.startswith(("tui.", "widgets.")) and "BINDINGS" in vars(cls):
                    owners.append(cls)
    return sorted(owners, key=lambda cls: (cls.__module__, cls.__qualname__))


def _own_bindings(owner: type[DOMNode]) -> Iterator[tuple[str, Binding]]:
    """The bindings with an id that `owner` declares itself (not inherited), with their ids."""
    for binding in vars(owner).get("BINDINGS", []):
        if isinstance(binding, Binding) and binding.id:
            yield binding.id, binding


def _rows(owner: type[DOMNode], where: str) -> list[KeyHelp]:
    """One row per action of `owner`: a second binding for an action (ctrl+c for quit) is an
    alias and is not listed."""
    rows: dict[str, KeyHelp] = {}
    for binding_id, binding in _own_bindings(owner):
        description = binding.tooltip or binding.description
        row = KeyHelp(binding_id, binding.key, description, where, binding.action)
        rows.setdefault(binding.action, row)
    return list(rows.values())


def all_keys() -> tuple[KeyHelp, ...]:
    """The keys table, in help order, read off the `BINDINGS` of the classes it documents."""
    from tui.app.app import ClusterdeckApp
    from tui.app.screens.dashboard.main import MainScreen
    from tui.app.screens.files.screen import FilesScreen
    from tui.app.screens.shells.terminals import TerminalScreen
    from tui.app.screens.tunnels.screen import TunnelScreen
    from widgets.log.view import LogView
    from widgets.terminal.view import TerminalView

    return (
        *_rows(MainScreen, "dashboard"),
        *TEXTUAL_KEYS,
        *_rows(LogView, "log"),
        *_rows(TerminalView, "shells"),
        *_rows(TerminalScreen, "shells"),
        *_rows(TunnelScreen, "tunnels"),
        *_rows(FilesScreen, "files"),
        *_rows(ClusterdeckApp, "anywhere"),
    )


def known_binding_ids() -> set[str]:
    """Every binding id a `[keys]` entry may name: each class's own and the documented names."""
    ids = {row.id for row in TEXTUAL_KEYS}
    for owner in binding_owners():
        ids.update(binding_id for binding_id, _ in _own_bindings(owner))
    return ids


def markdown_table(rows: Sequence[KeyHelp]) -> str:
    """The README's Keys table for `rows`."""
    lines = ["| Key | Where | Does | Binding id |", "| --- | --- | --- | --- |"]
    for row in rows:
        keys = " ".join(f"`{key}`" for key in display_keys(row.keys).split(" "))
        lines.append(f"| {keys} | {row.where} | {row.description} | `{row.id}` |")
    return "\n".join(lines) + "\n"


_TERMINAL_CHORD_IDS = {
    "toggle-terminals",
    "next-tab",
    "previous-tab",
    "close-tab",
    "push-clipboard",
    "broadcast-mark",
    "broadcast-job",
    "broadcast-off",
    "record",
    "restore-sessions",
}


def terminal_passthrough(keymap: dict[str, str]) -> frozenset[str]:
    """Keys a focused terminal leaves to the app: the app chords, as remapped by `keymap`."""
    chords = [k for k in APP_KEYS + TERMINAL_KEYS if k.id in _TERMINAL_CHORD_IDS]
    keys: set[str] = set()
    for spec in chords:
        # Textual drops keys a focused widget consumes *before* it applies the keymap, so the
        # default keys must pass through too for a remapped chord to reach the app.
        for keys_text in (spec.keys, keymap.get(spec.id, spec.keys)):
            keys.update(key.strip() for key in keys_text.split(","))
    keys.discard("ctrl+w")  # only once the shell has ended; see TERMINAL_KEYS
    return frozenset(keys)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the keys table (`--markdown`: as in the README)."""
    parser = argparse.ArgumentParser(prog="python -m tui.app.bindings", description=main.__doc__)
    parser.add_argument("--markdown", action="store_true", help="print the README's Keys table")
    args = parser.parse_args(argv)
    rows = all_keys()
    if args.markdown:
        print(markdown_table(rows), end="")
    else:
        for row in rows:
            print(f"{display_keys(row.keys):24} {row.where:10} {row.description:50} {row.id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
