"""The dashboard's top line: what is shown and why (left), and the clipboard in use (right)."""

from __future__ import annotations

from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings

NO_CONFIG_BANNER = "Demo cluster (no config file): `clusterdeck init` makes one"


def top_line(settings: Settings, chosen: ProviderConfig, only: str | None) -> str | None:
    """A fixed left part for the top line, or None for the provider's own banner.

    The demo says why it is shown: there is no config file, the config has no providers, or it
    was asked for (`--demo`, `--provider demo`, or a `type = "demo"` provider).
    """
    if chosen.type != "demo":
        return None
    if settings.config_path is None:
        return NO_CONFIG_BANNER if only is None else "Demo cluster (--demo)"
    name = settings.config_path.name
    if any(provider is chosen for provider in settings.providers):
        return f"Demo cluster ([providers.{chosen.name}] in {name})"
    if only == "demo":
        count = len(settings.providers)
        hidden = f"; {name}'s {count} provider{'s' if count != 1 else ''} hidden" if count else ""
        return f"Demo cluster (--demo{hidden})"
    return f"Demo cluster ({name} has no [providers.NAME] section)"
