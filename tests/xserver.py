"""A private Xvfb for tests that need a real X clipboard (pyperclip then uses xclip)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import require_binary

START_TIMEOUT = 10.0


def _free_display() -> int:
    for number in range(90, 200):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number between :90 and :199")


@contextlib.contextmanager
def running_xvfb() -> Iterator[str]:
    """Start Xvfb on a free display; yield its DISPLAY value; stop it afterwards."""
    require_binary("Xvfb")
    require_binary("xclip")
    number = _free_display()
    proc = subprocess.Popen(
        ["Xvfb", f":{number}", "-nolisten", "tcp", "-screen", "0", "640x480x24"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not Path(f"/tmp/.X11-unix/X{number}").exists():  # the server's socket is up
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb did not start on :{number}")
            time.sleep(0.02)
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=START_TIMEOUT)
