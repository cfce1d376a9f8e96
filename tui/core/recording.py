"""Recording a shell to an asciicast v3 file (https://docs.asciinema.org/manual/asciicast/v3/).

The file is newline-delimited JSON: a header line (`version` 3, `term` cols/rows/type,
`timestamp`, `title`), then one `[interval, code, data]` line per event, `interval` being the
seconds since the previous event: `"o"` output, `"i"` input (only when asked), `"r"` a resize
(`"COLSxROWS"`) and `"x"` the exit status. Output bytes are decoded as UTF-8 incrementally, so
a character split across reads is written whole.

Input recording is off by default. When on, input is still left out while the remote shows a
password prompt (`Password:`, `passphrase`, `PIN`, `OTP`, `verification code`, ... at the end of
the last line of output, and not the echo of what is being typed), until Enter: over SSH the
remote's echo-off state cannot be seen, so it is read from the prompt; an echo-off read without
such a prompt, or a password typed before its prompt arrived, would be recorded.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from tui.core.errors import ClusterdeckError
from tui.core.files import make_private_dir

VERSION = 3
FLUSH_SECONDS = 1.0
"""Events reach the disk at least this often (and when the recording stops)."""
_TAIL_CHARS = 256
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])")
_SECRET_PROMPT = re.compile(
    r"(?:pass(?:word|phrase|code)|\bpin\b|\botp\b|one-time|verification code|token|secret)"
    r"[^\n]{0,80}[:?>]\s*$",
    re.IGNORECASE,
)
_CONTROLS = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1bO.|[\x00-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]+")


class RecordingError(ClusterdeckError):
    """A recording could not be started or written."""

    title = "Recording"


def is_secret_prompt(last_line: str) -> bool:
    """The line ends like a prompt for a password, passphrase, PIN or one-time code."""
    return _SECRET_PROMPT.search(last_line) is not None


def cast_path(folder: Path, label: str, now: datetime) -> Path:
    """A new file name in `folder`: `20261208-031500-ada-node-1.cast` (never an existing one)."""
    name = _UNSAFE_NAME.sub("-", label).strip("-")[:60] or "shell"
    stem = f"{now:%Y%m%d-%H%M%S}-{name}"
    path = folder / f"{stem}.cast"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}.cast"
    return path


class SessionRecorder:
    """Writes one terminal session as asciicast v3 (a `StreamTap` for the terminal view).

    Args:
        path: The new file (created 0600; it must not exist).
        cols: Terminal width at the start.
        rows: Terminal height at the start.
        title: The header's title (the tab's label).
        record_input: Write "i" events (passwords at a prompt excepted).
        on_error: Called once when writing fails (disk full...), with the reason.
        clock: Monotonic seconds, for the intervals.
        wall: Unix time, for the header's timestamp.
    """

    def __init__(
        self,
        path: Path,
        cols: int,
        rows: int,
        *,
        title: str = "",
        record_input: bool = False,
        on_error: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.record_input = record_input
        self.error: str | None = None
        """Why writing stopped (disk full...), or None."""
        self._clock = clock
        self._on_error = on_error
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail = ""
        self._output_count = 0
        self._secret_until_enter = False
        self._prompt_used_at = -1
        self._typed_line = ""
        """What was typed since the last Enter (its echo is not a prompt)."""
        try:
            make_private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(fd, 0o600)
        except OSError as exc:
            raise RecordingError(
                f"cannot create {path}: {exc.strerror or exc}; make the folder writable or set "
                "[recording] folder to another one"
            ) from exc
        self._file: IO[str] | None = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        header = {
            "version": VERSION,
            "term": {"cols": cols, "rows": rows, "type": "xterm-256color"},
            "timestamp": int(wall()),
            "title": title,
        }
        self._last = self._flushed = clock()
        self._line(json.dumps(header, ensure_ascii=False))

    @property
    def active(self) -> bool:
        """Still writing (not stopped, no write error)."""
        return self._file is not None

    # -- StreamTap -----------------------------------------------------------------------------

    def output(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        self._output_count += 1
        if text:
            self._remember(text)
            self._event("o", text)

    def input(self, data: bytes) -> None:
        if not self.record_input or not self.active:
            return
        text = data.decode("utf-8", "replace")
        enter = "\r" in text or "\n" in text
        if self._secret_until_enter or self._at_secret_prompt():
            self._secret_until_enter = not enter
            self._prompt_used_at = self._output_count
            self._typed_line = ""
            return
        self._typed_line = re.split(r"[\r\n]", text)[-1] if enter else self._typed_line + text
        self._event("i", text)

    def resized(self, cols: int, rows: int) -> None:
        self._event("r", f"{cols}x{rows}")

    # -- the end -------------------------------------------------------------------------------

    def close(self, exit_status: int | None = None) -> None:
        """Stop: write what is pending (and the exit status when known), close the file."""
        if self._file is None:
            return
        rest = self._decoder.decode(b"", final=True)
        if rest:
            self._event("o", rest)
        if exit_status is not None:
            self._event("x", str(exit_status))
        try:
            self._file.close()
        except OSError as exc:
            self.error = self.error or str(exc.strerror or exc)
        self._file = None

    # -- helpers -------------------------------------------------------------------------------

    def _remember(self, text: str) -> None:
        self._tail = (self._tail + text)[-_TAIL_CHARS:]

    def _at_secret_prompt(self) -> bool:
        if self._prompt_used_at == self._output_count:
            return False  # that prompt was answered; wait for new output
        line = _ESCAPES.sub("", self._tail).split("\n")[-1].split("\r")[-1]
        typed = _CONTROLS.sub("", self._typed_line)[:16]
        if typed and typed in line:
            return False  # the line is the echo of a command being typed (`echo Password:`)
        return is_secret_prompt(line)

    def _event(self, code: str, data: str) -> None:
        if self._file is None:
            return
        now = self._clock()
        interval = max(0.0, now - self._last)
        self._last = now
        self._line(json.dumps([round(interval, 6), code, data], ensure_ascii=False))
        if now - self._flushed >= FLUSH_SECONDS:
            self._flushed = now
            self._flush()

    def _line(self, line: str) -> None:
        assert self._file is not None
        try:
            self._file.write(line + "\n")
        except OSError as exc:
            self._failed(exc)

    def _flush(self) -> None:
        try:
            if self._file is not None:
                self._file.flush()
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        self.error = str(exc.strerror or exc)
        try:
            if self._file is not None:
                self._file.close()
        except OSError:
            pass
        self._file = None
        if self._on_error is not None:
            self._on_error(self.error)
