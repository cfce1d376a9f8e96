"""Screens and panes of the clusterdeck app."""
