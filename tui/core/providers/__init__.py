"""Providers: where jobs, nodes, logs and SSH targets come from."""
