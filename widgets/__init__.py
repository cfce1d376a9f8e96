"""Reusable Textual widgets for clusterdeck. They never import `tui`, asyncssh or pyperclip."""
