"""The dashboard: jobs, nodes and the live log, with the job actions."""
