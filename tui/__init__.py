"""clusterdeck: a terminal dashboard for HPC jobs."""

__version__ = "0.1.0"
