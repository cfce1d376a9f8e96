"""The headless core: models, config, SSH, providers, tunnels, clipboard.

Nothing under `tui.core` imports textual, `widgets` or `tui.app` (import-linter enforces it).
"""
