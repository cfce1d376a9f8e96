"""What the app remembers between runs in the state dir (`ui-state.json`, 0600): the theme
chosen in the palette, unless the config file sets `[ui] theme`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import App
from textual.theme import Theme

from tui.core.errors import ClusterdeckError
from tui.core.files import write_private_file

UI_STATE_FILE = "ui-state.json"


def load_ui_state(state_dir: Path) -> dict[str, Any]:
    """The saved UI state ({} when there is none or it is unreadable)."""
    try:
        data = json.loads((state_dir / UI_STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_ui_state(state_dir: Path, **changes: Any) -> None:
    """Update keys of the saved UI state (0600). Raises `StateDirError` when it cannot."""
    data = {**load_ui_state(state_dir), **changes}
    write_private_file(state_dir / UI_STATE_FILE, json.dumps(data, indent=1).encode() + b"\n")


class ThemeMemory:
    """Restores the saved theme at start and saves each change, when the config sets none."""

    def __init__(self, app: App[Any], state_dir: Path, *, configured: str | None) -> None:
        self.app = app
        self.state_dir = state_dir
        self.active = configured is None
        """False when the config sets the theme: that one wins, nothing is saved."""
        self._saved: str | None = None

    def start(self) -> None:
        """Apply the saved theme (when known) and remember later changes."""
        if not self.active:
            return
        saved = load_ui_state(self.state_dir).get("theme")
        if isinstance(saved, str) and saved in self.app.available_themes:
            self.app.theme = saved
            self._saved = saved
        self.app.theme_changed_signal.subscribe(self.app, self._changed)

    def _changed(self, theme: Theme) -> None:
        if theme.name == self._saved:
            return
        try:
            save_ui_state(self.state_dir, theme=theme.name)
        except ClusterdeckError as exc:
            self.app.notify(exc.message, title="Theme not remembered", severity="warning")
            return
        self._saved = theme.name
