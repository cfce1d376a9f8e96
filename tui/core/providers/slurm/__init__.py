"""Slurm through its login host over SSH: squeue/sinfo JSON, StdOut follow, scancel."""
