"""Recording shell tabs to asciicast v3 files: start, stop, and what the user is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tui.core.errors import ClusterdeckError
from tui.core.recording import SessionRecorder, cast_path
from widgets.terminal.view import TerminalView

Notify = Callable[..., None]


class Recordings:
    """One `SessionRecorder` per recorded terminal.

    Args:
        folder: Where new recordings go (made 0700 when missing).
        record_input: Keep typed input too (passwords at a prompt left out).
        notify: The app's `notify`.
        changed: Called when a terminal starts or stops recording (its tab label).
    """

    def __init__(
        self,
        folder: Path,
        *,
        record_input: bool,
        notify: Notify,
        changed: Callable[[TerminalView], None],
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.folder = folder
        self.record_input = record_input
        self._notify = notify
        self._changed = changed
        self._now = now
        self._recorders: dict[TerminalView, SessionRecorder] = {}

    def recorder(self, view: TerminalView) -> SessionRecorder | None:
        """`view`'s recorder while it records."""
        return self._recorders.get(view)

    def is_recording(self, view: TerminalView) -> bool:
        return view in self._recorders

    def toggle(self, view: TerminalView, label: str) -> None:
        """Start recording `view`, or stop when it records."""
        if view in self._recorders:
            self.stop(view)
        else:
            self.start(view, label)

    def start(self, view: TerminalView, label: str) -> SessionRecorder | None:
        """Record `view` from now on into a new file; tells the user where."""
        if not view.running:
            self._notify("Only a running shell can be recorded.", title="Recording")
            return None
        cols, rows = view.model.emulator.size
        try:
            recorder = SessionRecorder(
                cast_path(self.folder, label, self._now()),
                cols,
                rows,
                title=label,
                record_input=self.record_input,
                on_error=lambda _reason: self.stop(view),
            )
        except ClusterdeckError as exc:
            self._notify(exc.message, title=exc.title, severity="error")
            return None
        self._recorders[view] = recorder
        view.tap = recorder
        what = "output and input" if self.record_input else "output"
        self._notify(f"Recording {label} ({what}) to {recorder.path}", title="Recording")
        self._changed(view)
        return recorder

    def stop(self, view: TerminalView, exit_status: int | None = None) -> None:
        """Stop recording `view` and say where the file is."""
        recorder = self._recorders.pop(view, None)
        if recorder is None:
            return
        if view.tap is recorder:
            view.tap = None
        recorder.close(exit_status)
        if recorder.error:
            self._notify(
                f"The recording {recorder.path} stopped early: {recorder.error}",
                title="Recording",
                severity="error",
            )
        else:
            self._notify(f"Saved the recording to {recorder.path}", title="Recording")
        self._changed(view)

    def stop_all(self) -> None:
        """Stop every recording (the app quits)."""
        for view in list(self._recorders):
            self.stop(view)
