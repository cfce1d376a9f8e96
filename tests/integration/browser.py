"""Helpers for the browser tests: a `clusterdeck serve` process, and a page that reads its screen.

The page is textual-serve's xterm.js terminal. Its renderer draws on a canvas, so the text is read
from xterm.js's own buffer: the test serves textual.js with one statement added that keeps the
page's terminal object in `window.__clusterdeckTerminals` (nothing else changes).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route, ViewportSize

ROOT = Path(__file__).absolute().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 760}
WAIT = 20.0
"""Upper bound on every wait for the page, the server or a process."""
POLL = 0.05

_HOOK = re.compile(r"(const (\w+)=new \w+\(\w+,\{ping:\w+\}\);)")
_PATCHED_JS: list[str] = []
"""textual.js with the hook, made once per test session."""
_HOOK_FAILURES: list[str] = []
_SCREEN_JS = """() => {
  const terms = window.__clusterdeckTerminals;
  if (!terms || !terms.length) return null;
  const term = terms[0].terminal, buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def wait_for(
    predicate: Callable[[], object], *, within: float = WAIT, what: str = "condition"
) -> Any:
    """Poll `predicate` until it returns something true (and return that); fail after `within`."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(POLL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- processes ------------------------------------------------------------------------------


def children_of(pid: int) -> dict[int, int]:
    """Every process's parent, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (zombies included: an unreaped child is not cleaned up)."""
    parents = children_of(pid)
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.append(child)
                frontier.append(child)
    return found


def alive(pids: list[int]) -> list[int]:
    """Those of `pids` still running. A zombie counts while its parent is one of ours (nobody
    reaped it); one handed to PID 1 has ended, and reaping it is init's work (this machine's PID 1
    reaps late, so a killed shell's `sleep` child can linger there for a while)."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _orphan_zombie(pid)]


def _orphan_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # gone meanwhile
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return state == "Z" and parent == "1"


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def app_processes(serve_pid: int) -> list[int]:
    """The dashboard processes (`python -m tui ...`) textual-serve started for browser tabs."""
    return [
        pid
        for pid in descendants(serve_pid)
        if command_line(pid)[1:3] == ["-m", "tui"] and "serve" not in command_line(pid)
    ]


class ServeProcess:
    """`python -m tui serve ...` in a subprocess, with its printed URL and its output."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.argv = [sys.executable, "-m", "tui", "serve", *args]
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._url: str | None = None
        self._pumps = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)
            if sink is self.stdout:
                self._lines.put(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return f"stdout:\n{''.join(self.stdout)}\nstderr:\n{''.join(self.stderr)}"

    def url(self, within: float = WAIT) -> str:
        """The URL the server printed (waits for it)."""
        if self._url is not None:
            return self._url
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=POLL)
            except queue.Empty:
                if self.process.poll() is not None:
                    for pump in self._pumps:  # the process ended: read its output to EOF
                        pump.join(timeout=within)
                    raise AssertionError(f"serve exited early\n{self.output()}") from None
                continue
            match = re.search(r"open (http://\S+)", line)
            if match:
                self._url = match.group(1)
                return self._url
        raise AssertionError(f"serve printed no URL within {within} s\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, within: float = WAIT) -> int:
        """Signal the server and wait for it to exit; kill it after `within` s."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(
                f"serve did not exit within {within} s of signal {sig}\n{self.output()}"
            ) from None


def isolated_env(base: Path) -> dict[str, str]:
    """An environment like the tests' autouse isolation (usable at module scope), for a server
    with no display of its own: HOME, XDG dirs and the state dir under `base`."""
    dropped = {"SSH_AUTH_SOCK", "RESCALE_API_KEY", "DISPLAY", "WAYLAND_DISPLAY"}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CLUSTERDECK_") and k not in dropped
    }
    home = base / "home"
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        env[var] = str(home / sub)
    env["SHELL"] = "/bin/sh"
    env["CLUSTERDECK_STATE_DIR"] = str(base / "state")
    return env


# --- the browser side -------------------------------------------------------------------------


class DashboardPage:
    """One browser tab on the served dashboard, reading its screen from xterm.js."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.page: Page = self.context.new_page()
        self.closed = False
        # The page asks Google for a web font; the machines running the tests have no internet.
        self.page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
        self.page.route("**/static/js/textual.js", self._hook_terminal)
        self.page.goto(url, wait_until="commit")

    def _hook_terminal(self, route: Route) -> None:
        if not _PATCHED_JS:
            body, count = _HOOK.subn(
                r"\1(window.__clusterdeckTerminals=window.__clusterdeckTerminals||[]).push(\2);",
                route.fetch().text(),
            )
            if count != 1:
                _HOOK_FAILURES.append(
                    "textual-serve's textual.js changed: update _HOOK in "
                    "tests/integration/browser.py"
                )
            _PATCHED_JS.append(body)
        route.fulfill(body=_PATCHED_JS[0], content_type="application/javascript")

    def screen(self) -> str:
        """The terminal's visible rows, as text."""
        assert not _HOOK_FAILURES, _HOOK_FAILURES[0]
        return str(self.page.evaluate(_SCREEN_JS) or "")

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen().split("\n")]

    def wait_for_text(self, text: str, within: float = WAIT) -> str:
        """Wait until `text` is on the screen; the screen then."""
        try:
            return str(
                wait_for(lambda: (s := self.screen()) and text in s and s, within=within, what=text)
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{self.screen()}") from None

    def wait_for_line(self, line: str, within: float = WAIT) -> None:
        """Wait until a whole row reads `line` (trailing blanks ignored)."""
        try:
            wait_for(lambda: line in self.lines(), within=within, what=f"a row {line!r}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{self.screen()}") from None

    def focus(self) -> None:
        """Give the terminal keyboard focus, as a click on it would."""
        self.page.locator(".xterm-helper-textarea").focus()

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def clipboard(self) -> str:
        """The browser's clipboard text."""
        return str(self.page.evaluate("navigator.clipboard.readText()"))

    def set_clipboard(self, text: str) -> None:
        self.page.evaluate("text => navigator.clipboard.writeText(text)", text)

    def cell_centre(self, row: int, column: int) -> tuple[float, float]:
        """Page coordinates of the middle of a terminal cell."""
        box = self.page.locator(".xterm-screen").bounding_box()
        assert box is not None
        size = self.page.evaluate(
            "() => [window.__clusterdeckTerminals[0].terminal.cols,"
            " window.__clusterdeckTerminals[0].terminal.rows]"
        )
        width, height = box["width"] / size[0], box["height"] / size[1]
        return box["x"] + (column + 0.5) * width, box["y"] + (row + 0.5) * height

    def drag(self, row: int, first: int, last: int) -> None:
        """Drag the mouse along `row` from column `first` to column `last`."""
        x0, y = self.cell_centre(row, first)
        x1, _ = self.cell_centre(row, last)
        mouse = self.page.mouse
        mouse.move(x0, y)
        mouse.down()
        mouse.move((x0 + x1) / 2, y, steps=4)
        mouse.move(x1, y, steps=4)
        mouse.up()

    def close(self) -> None:
        """Close the tab (and its browser context); closing twice is harmless."""
        if not self.closed:
            self.closed = True
            self.context.close()
