"""Names a config file uses that only the app knows: `[keys]` binding ids and the `[ui] theme`.

The core does not know the app's bindings or Textual's themes, so both `config check` and the
app at start-up pass them in; each unknown name comes back as a `ConfigError` with its line.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from tui.core.config.readfile import read_config_text
from tui.core.config.settings import Locator, Settings
from tui.core.errors import ConfigError


def unknown_names(
    settings: Settings,
    *,
    binding_ids: Collection[str],
    themes: Collection[str],
    text: str | None = None,
) -> list[ConfigError]:
    """Binding ids in `[keys]` not in `binding_ids`, and a theme not in `themes`.

    `text` is the config file's text (read from `settings.config_path` when not given).
    """
    where = str(settings.config_path) if settings.config_path is not None else None
    if text is None and settings.config_path is not None:
        try:
            text = read_config_text(settings.config_path)
        except (OSError, UnicodeDecodeError, ConfigError):
            text = ""
    locate = Locator(text or "")
    problems = []
    for name in settings.keymap:
        if name not in binding_ids:
            close = difflib.get_close_matches(name, sorted(binding_ids), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                ConfigError(
                    f"[keys] unknown binding id {name!r}; {hint}the ids are in the README's "
                    "Keys table and in the app's help (?)",
                    path=where,
                    line=locate.key("keys", name),
                )
            )
    theme = settings.theme
    if theme is not None and theme not in themes:
        close = difflib.get_close_matches(theme, sorted(themes), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            ConfigError(
                f"[ui] theme {theme!r} is not a theme; {hint}known themes: "
                f"{', '.join(sorted(themes))}",
                path=where,
                line=locate.key("ui", "theme"),
            )
        )
    return problems
