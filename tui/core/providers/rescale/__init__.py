"""Rescale's REST API v2: jobs, instances, live tail, stop."""
