"""The `clusterdeck` subcommands besides the dashboard: init/config, tunnel, serve, rescale."""
