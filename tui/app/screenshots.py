"""The palette's Screenshot: an SVG of the screen saved in ~/Downloads (made when missing), else
in the state dir's `screenshots` folder, and a notification naming the file."""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from platformdirs import user_downloads_path
from textual.app import App

from tui.core.files import make_private_dir

DELIVERY_NAME = "clusterdeck-screenshot"
"""The name of the screenshot's file delivery (Textual's own "screenshot" note is not used: it
is markup, which the app's notifications never parse)."""


def screenshot_dir(state_dir: Path) -> Path:
    """The user's Downloads folder, created (0700) when its parent exists; else, when it cannot
    be made or written, `STATE_DIR/screenshots` (0700)."""
    downloads = user_downloads_path()
    try:
        if downloads.parent.is_dir():
            make_private_dir(downloads)
        if downloads.is_dir() and os.access(downloads, os.W_OK | os.X_OK):
            return downloads
    except OSError:
        pass
    folder = state_dir / "screenshots"
    make_private_dir(folder)
    return folder


def deliver_screenshot(
    app: App[Any], state_dir: Path, filename: str | None = None, folder: Path | None = None
) -> str | None:
    """Save (or, in a browser, download) an SVG of `app`'s screen in `folder` (default:
    `screenshot_dir`); the delivery key, or None when there is nowhere to save it."""
    try:
        folder = folder or screenshot_dir(state_dir)
    except OSError as exc:
        app.notify(f"Cannot save a screenshot: {exc}", title="Screenshot", severity="error")
        return None
    name = filename or f"clusterdeck_{datetime.now():%Y-%m-%dT%H_%M_%S_%f}.svg"
    return app.deliver_text(
        io.StringIO(app.export_screenshot()),
        save_directory=folder,
        save_filename=name,
        open_method="browser",
        mime_type="image/svg+xml",
        name=DELIVERY_NAME,
    )
