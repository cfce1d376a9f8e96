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
    KeySpec(
        "toggle-terminals",
        "ctrl+right_square_bracket",
        "toggle_terminals",
        "Shells / dashboard",
        "anywhere",
    ),
    KeySpec("push-clipboard", "alt+v,ctrl+shift+v", "push_clipboard", "Push clipboard", "anywhere"),
)

DASHBOARD_KEYS = (
    KeySpec("focus-log", "l", "focus_log", "Log", "dashboard"),
    KeySpec("log-search", "slash", "search_log", "Search log", "dashboard"),
    KeySpec("refresh", "r", "refresh", "Refresh", "dashboard", show=False),
    KeySpec("external-ssh", "x", "external_ssh", "System ssh", "dashboard", show=False),
    KeySpec("clipboard", "c", "app.clipboard", "Clipboard", "dashboard"),
    KeySpec("job-details", "i", "job_details", "Details", "dashboard", show=False),
    KeySpec("keys", "K", "app.keys", "SSH keys", "dashboard"),
    KeySpec("access-rule", "a", "access_rule", "Access rule", "dashboard", show=False),
    KeySpec("tunnels", "t", "app.tunnels", "Tunnels", "dashboard"),
    KeySpec("tunnel-detected", "T", "tunnel_detected", "Tunnel it", "dashboard", show=False),
    KeySpec("stop-job", "s", "stop_job", "Stop job", "dashboard"),
)

TERMINAL_KEYS = (
    KeySpec("next-tab", "ctrl+pagedown", "next_tab", "Next tab", "shells"),
    KeySpec("previous-tab", "ctrl+pageup", "previous_tab", "Previous tab", "shells"),
    KeySpec("close-tab", "ctrl+shift+w,ctrl+w", "close_tab", "Close tab", "shells"),
)
"""Chords on the shell screen: the terminal passes these keys to the app, not to the remote.
(`ctrl+w` reaches the app only once the shell has ended; while it runs it goes to the shell.)"""

TUNNEL_KEYS = (
    KeySpec("tunnel-add", "a", "add", "Add", "tunnels"),
    KeySpec("tunnel-remove", "d,delete", "remove", "Remove", "tunnels"),
    KeySpec("tunnel-restart", "r", "restart", "Restart", "tunnels"),
    KeySpec("tunnel-copy-url", "c", "copy_url", "Copy URL", "tunnels"),
    KeySpec("tunnel-open-browser", "o", "open_browser", "Open in browser", "tunnels"),
    KeySpec("tunnel-back", "escape,t", "back", "Dashboard", "tunnels"),
)
"""The tunnel screen's keys, with their binding ids (for the help screen and `[keys]`)."""

# Keys handled inside widgets; listed for the help screen and the README.
WIDGET_KEYS = (
    KeySpec("browse", "up,down,j,k", "", "Move the cursor in a table", "tables"),
    KeySpec("open-shell", "enter", "", "Open a shell on the node (on a job: its master)", "tables"),
    KeySpec("cycle-panes", "tab,shift+tab", "", "Next / previous pane", "dashboard"),
    KeySpec("log-follow", "f", "", "Follow the log on / off", "log"),
    KeySpec("log-end", "end", "", "Jump to the end and follow", "log"),
    KeySpec("log-search-next", "n", "", "Next search match", "log"),
    KeySpec("log-search-prev", "N", "", "Previous search match", "log"),
    KeySpec("log-wrap", "w", "", "Wrap long lines on / off", "log"),
    KeySpec("terminal-scroll-back", "shift+pageup", "", "Scroll back", "shells"),
    KeySpec("terminal-scroll-forward", "shift+pagedown", "", "Scroll forward", "shells"),
    KeySpec("terminal-reconnect", "r,enter", "", "Reconnect an ended shell", "shells"),
)


def display_keys(keys: str) -> str:
    """`question_mark,slash` -> `? /`, for the help screen."""
    names = {"question_mark": "?", "slash": "/", "ctrl+right_square_bracket": "ctrl+]"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def all_keys() -> tuple[KeySpec, ...]:
    """Every documented key, in help order."""
    return DASHBOARD_KEYS + WIDGET_KEYS + TERMINAL_KEYS + TUNNEL_KEYS + APP_KEYS


_TERMINAL_CHORD_IDS = {
    "toggle-terminals",
    "next-tab",
    "previous-tab",
    "close-tab",
    "push-clipboard",
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
