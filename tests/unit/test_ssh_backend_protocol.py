"""SshShellBackend must fit the terminal view's `TerminalBackend` protocol (structurally).

tui/ssh may not import widgets, so the shell backend returns its own `SessionExit`; this test
(which may import both) checks the fit at run time and with mypy.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

from tui.core.ssh.shell import SessionExit, SshShellBackend
from widgets.terminal.backend import TerminalBackend, TerminalExit

ROOT = Path(__file__).resolve().parents[2]


def test_members_and_signatures_match() -> None:
    for name in ("start", "read", "write", "resize", "close"):
        ours = inspect.signature(getattr(SshShellBackend, name))
        theirs = inspect.signature(getattr(TerminalBackend, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert inspect.iscoroutinefunction(getattr(SshShellBackend, name)) == (
            inspect.iscoroutinefunction(getattr(TerminalBackend, name))
        ), name
    assert isinstance(inspect.getattr_static(SshShellBackend, "exit_info"), property)


def test_session_exit_has_the_fields_of_terminal_exit() -> None:
    ours = [(f.name, f.default) for f in dataclasses.fields(SessionExit)]
    theirs = [(f.name, f.default) for f in dataclasses.fields(TerminalExit)]
    assert ours == theirs
    assert SessionExit.__dataclass_params__.frozen  # type: ignore[attr-defined]
