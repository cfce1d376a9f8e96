"""The live log widget: a ring-buffer store, wrapped-row index and the scrolling view."""
