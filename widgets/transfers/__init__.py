"""The transfers list: one row per transfer with a progress bar."""
