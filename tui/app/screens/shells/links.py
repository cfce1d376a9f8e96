"""A click on an OSC 8 hyperlink in a shell: show the URL (inert), open it only when confirmed."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from textual.app import App

from tui.app.screens.dialogs.ask import ask
from tui.app.screens.dialogs.confirm import ConfirmDialog
from tui.app.screens.tunnels.browser import open_in_browser

OPENABLE_SCHEMES = frozenset({"http", "https", "ftp", "mailto"})
"""Schemes a link may open; others (`file:`, `javascript:`, an app's own) are refused."""


def link_problem(url: str) -> str | None:
    """Why `url` is not opened, or None."""
    scheme = urlsplit(url).scheme.lower() if url.isprintable() else ""
    if scheme not in OPENABLE_SCHEMES:
        shown = f"{scheme}:" if scheme else "without a scheme"
        return f"Links {shown} are not opened (only http, https, ftp and mailto)."
    return None


async def confirm_link(app: App[Any], url: str, node: str) -> None:
    """Ask before opening `url` (a link printed on `node`), then open it in the browser."""
    problem = link_problem(url)
    if problem is not None:
        app.notify(f"{problem}\n{url}", title="Link not opened", severity="warning")
        return
    question = f"{node} printed a link to:\n\n{url}\n\nOpen it in your browser?"
    if not await ask(app, ConfirmDialog("Open link", question, confirm="Open")):
        return
    reason = await asyncio.to_thread(open_in_browser, url)
    if reason is not None:
        app.notify(f"Could not open {url}: {reason}", title="Link", severity="warning")
