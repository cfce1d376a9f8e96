"""Opening a URL in the browser, and knowing whether it worked.

`webbrowser.open` says True as soon as a background opener (`xdg-open`) has been started, even
when it fails a moment later, and with no display it may run a text browser inside our own
terminal. So the opener is run here and given `GRACE_SECONDS`: an exit status of 0, or still
running by then (a browser started in the foreground), counts as opened.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import webbrowser

GRACE_SECONDS = 3.0
"""How long an opener has to fail before the URL counts as opened."""


def _commands(url: str) -> list[list[str]]:
    """The commands to try: `$BROWSER`'s entries, else the desktop's opener."""
    chosen = os.environ.get("BROWSER", "")
    if chosen:
        commands = []
        for entry in filter(None, chosen.split(os.pathsep)):
            words = shlex.split(entry)
            if "%s" in entry:
                commands.append([word.replace("%s", url) for word in words])
            else:
                commands.append([*words, url])
        return commands
    if sys.platform == "darwin":
        return [["open", url]]
    return [["xdg-open", url], ["gio", "open", url]]


def _run(command: list[str], grace: float) -> str | None:
    """Run one opener: None when it took the URL, else why not."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
            )
        except OSError as exc:
            return f"{command[0]} could not start: {exc.strerror or exc}"
        try:
            status = process.wait(grace)
        except subprocess.TimeoutExpired:
            return None  # still running: a browser in the foreground
        if status == 0:
            return None
        errors.seek(0)
        said = errors.read(4096).decode("utf-8", "replace").strip().splitlines()
        detail = f": {said[-1].strip()}" if said else ""
        return f"{command[0]} exited with status {status}{detail}"


def open_in_browser(url: str, *, grace: float = GRACE_SECONDS) -> str | None:
    """Open `url` in the browser: None when that worked, else a short reason."""
    if sys.platform == "win32":
        return None if webbrowser.open(url) else "no browser found"
    if not os.environ.get("BROWSER") and sys.platform != "darwin":
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no graphical display here (DISPLAY and WAYLAND_DISPLAY are not set)"
    reasons = []
    for command in _commands(url):
        if shutil.which(command[0]) is None:
            continue
        reason = _run(command, grace)
        if reason is None:
            return None
        reasons.append(reason)
    if reasons:
        return reasons[0]
    return "no browser command found (install xdg-utils, or set BROWSER)"
