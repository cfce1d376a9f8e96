"""The clipboard bridge: the workstation's clipboard on one side, the cluster on the other.

Local backends, in order: pyperclip where a native tool works (xclip, xsel, wl-clipboard,
pbcopy, Windows), then OSC 52 through the outer terminal (write only), then an in-app buffer.
Towards the cluster the app pastes into a shell (see `widgets.terminal`) or writes a remote file
over SFTP; from the cluster come terminal selections, OSC 52 writes and fetched files.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tui.core.clock import Clock, SystemClock
from tui.core.errors import ClusterdeckError, RemoteFileError, SshError
from tui.core.ssh.files import RemoteFiles

HISTORY = 20
"""Transfers remembered for the bridge screen."""
CONFIRM_BYTES = 1_000_000
"""Pastes above this size are confirmed first."""

Direction = Literal["to-cluster", "from-cluster"]
BackendName = Literal["native", "osc52", "buffer"]

PASTE_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What a paste must not carry: C0 controls but TAB, LF and CR, DEL, C1, and the bidi
embeddings, overrides and isolates. Each becomes a space (Ghostty's rule since its fix for
CVE-2026-26982, after xterm's), so ESC cannot end a bracketed paste and ^C/^U/^W cannot act."""
_BREAK = re.compile(r"\r\n|\r|\n")
"""A line break as a shell sees it: a terminal sends Enter as CR, so CR alone ends a line too."""


class ClipboardError(ClusterdeckError):
    """The clipboard could not be read or a transfer failed."""

    title = "Clipboard"


@dataclass(frozen=True)
class Transfer:
    """One clipboard transfer, for the history."""

    direction: Direction
    node: str
    size: int
    when: datetime
    how: str
    """e.g. "shell", "file ~/clipboard.txt", "OSC 52", "selection"."""
    text: str


def sanitize(text: str) -> str:
    """Replace ESC, every other control character but tab, CR and LF, and bidi overrides with
    spaces (see `PASTE_UNSAFE`)."""
    return PASTE_UNSAFE.sub(" ", text)


def needs_confirm(text: str, *, bracketed: bool) -> str | None:
    """Why a paste into a shell should be confirmed first, or None."""
    if len(text.encode("utf-8", "replace")) > CONFIRM_BYTES:
        return f"{len(text.encode('utf-8', 'replace')):,} bytes is a large paste"
    lines = line_count(text)
    if lines > 1 and not bracketed:
        return f"{lines} lines into a shell that did not ask for bracketed paste"
    return None


def line_count(text: str) -> int:
    """Lines in `text`, counting CR, LF and CRLF each as one break; trailing breaks are free."""
    return len(_BREAK.findall(text.rstrip("\r\n"))) + 1


def one_line(text: str) -> str:
    """A multi-line paste flattened into one line (lines joined by spaces)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class ClipboardBridge:
    """The local clipboard with its fallbacks, the last text from the cluster, and a history."""

    def __init__(
        self,
        *,
        prefer: Literal["auto", "native", "osc52", "buffer"] = "auto",
        osc52_writer: Callable[[str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._osc52 = osc52_writer
        self._clock = clock or SystemClock()
        self._buffer = ""
        self.from_cluster = ""
        """The last text that came from the cluster."""
        self.history: deque[Transfer] = deque(maxlen=HISTORY)
        self._native: tuple[Callable[[str], None], Callable[[], str]] | None = None
        self.backend: BackendName = self._choose(prefer)

    # --- which backend -------------------------------------------------------------------------

    def _choose(self, prefer: str) -> BackendName:
        if prefer == "auto" and _in_browser() and self._osc52 is not None:
            return "osc52"  # `clusterdeck serve`: the browser's clipboard, not the server's
        if prefer in ("auto", "native"):
            self._native = _native_functions()
            if self._native is not None:
                return "native"
        if prefer in ("auto", "osc52") and self._osc52 is not None:
            return "osc52"
        return "buffer"

    @property
    def description(self) -> str:
        """What the status bar says about the clipboard in use."""
        return {
            "native": "system clipboard",
            "osc52": "terminal clipboard (OSC 52, write only)",
            "buffer": "in-app clipboard",
        }[self.backend]

    @property
    def short_description(self) -> str:
        """A few words for the top line."""
        return {"native": "system", "osc52": "OSC 52", "buffer": "in-app"}[self.backend]

    @property
    def hint(self) -> str | None:
        """How to get the native clipboard when it is missing."""
        if self.backend == "native":
            return None
        return (
            "No system clipboard tool found: install xclip or xsel (X11) or wl-clipboard "
            "(Wayland) for copy and paste with other programs."
        )

    # --- local side ---------------------------------------------------------------------------

    def read_local(self) -> str:
        """The workstation clipboard's text ("" when empty). OSC 52 cannot be read back."""
        if self._native is not None:
            try:
                text = self._native[1]()
            except Exception as exc:  # pyperclip raises its own and OSError subclasses
                raise ClipboardError(f"cannot read the system clipboard: {exc}") from exc
            if not isinstance(text, str):
                raise ClipboardError("the clipboard holds something that is not text")
            return text
        return self._buffer

    def write_local(self, text: str) -> None:
        """Put `text` on the workstation clipboard (and always in the in-app buffer)."""
        self._buffer = text
        if self._native is not None:
            try:
                self._native[0](text)
            except Exception as exc:
                raise ClipboardError(f"cannot write the system clipboard: {exc}") from exc
        elif self.backend == "osc52" and self._osc52 is not None:
            self._osc52(text)

    # --- history ------------------------------------------------------------------------------

    def record(self, direction: Direction, node: str, text: str, how: str) -> Transfer:
        """Remember a transfer (newest first in `history`)."""
        transfer = Transfer(
            direction, node, len(text.encode("utf-8", "replace")), self._clock.now(), how, text
        )
        self.history.appendleft(transfer)
        if direction == "from-cluster":
            self.from_cluster = text
        return transfer

    def receive(self, node: str, text: str, how: str) -> Transfer:
        """Text came from the cluster: put it on the local clipboard and remember it."""
        self.write_local(text)
        return self.record("from-cluster", node, text, how)


def _in_browser() -> bool:
    """True when Textual draws into a web page (`clusterdeck serve`, textual-serve)."""
    return "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")


def _native_functions() -> tuple[Callable[[str], None], Callable[[], str]] | None:
    """pyperclip's copy and paste for this environment (looked up afresh), if they work."""
    try:
        import pyperclip

        copy, paste = pyperclip.determine_clipboard()
        paste()
    except Exception:  # no tool, no display, or the tool failed
        return None
    return copy, paste


# --- remote files over SFTP -------------------------------------------------------------------


async def write_remote_file(files: RemoteFiles, path: str, text: str) -> int:
    """Write `text` (UTF-8) to `path` atomically: a temporary name, mode 0600, then a rename.

    Nothing half-written is ever left under `path`; the temporary file is removed on failure.
    Returns the number of bytes written.
    """
    data = text.encode("utf-8")
    try:
        await files.write(path, data, mode=0o600)
    except SshError as exc:
        raise ClipboardError(f"could not write {path} on the node: {_reason(exc)}") from exc
    return len(data)


async def read_remote_file(
    files: RemoteFiles, path: str, *, limit: int = 10 * CONFIRM_BYTES
) -> str:
    """Read a remote text file (at most `limit` bytes), decoding UTF-8 with replacement."""
    try:
        data = await files.read(path, max_bytes=limit + 1)
    except SshError as exc:
        raise ClipboardError(f"could not read {path} on the node: {_reason(exc)}") from exc
    if len(data) > limit:
        raise ClipboardError(f"{path} is larger than {limit:,} bytes; fetch a smaller file")
    return data.decode("utf-8", "replace")


def _reason(exc: SshError) -> str:
    return exc.reason if isinstance(exc, RemoteFileError) else exc.message
