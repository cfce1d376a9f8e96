"""Static clusters from the config file and hosts from `~/.ssh/config`."""
