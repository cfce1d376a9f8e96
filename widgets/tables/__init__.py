"""Tables that update rows by key: jobs, nodes, tunnels, SSH keys."""
