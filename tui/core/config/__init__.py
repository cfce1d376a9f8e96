"""The TOML config: settings and defaults, provider sections, `config check`, the starter file."""
