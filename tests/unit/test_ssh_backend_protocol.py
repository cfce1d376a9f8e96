"""SshShellBackend must fit the terminal view's `TerminalBackend` protocol (structurally).

tui/ssh may not import widgets, so the shell backend returns its own `SessionExit`; this test
(which may import both) checks the fit at run time and with mypy.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from tui.ssh.shell import SessionExit, SshShellBackend
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


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="widgets/terminal/backend.py types exit_info as the concrete TerminalExit; "
    "it should return a Protocol with read-only reason/exit_status/disconnected",
)
def test_mypy_accepts_the_shell_backend_as_a_terminal_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mypy import api

    monkeypatch.chdir(ROOT)  # mypy finds tui/, widgets/ and its cache from the project root
    probe = tmp_path / "probe_backend.py"
    probe.write_text(
        "from tui.models import SshTarget\n"
        "from tui.ssh.pool import SshPool\n"
        "from tui.ssh.shell import SshShellBackend\n"
        "from widgets.terminal.backend import TerminalBackend\n\n\n"
        "def as_backend(pool: SshPool) -> TerminalBackend:\n"
        "    return SshShellBackend(pool, SshTarget('h'))\n"
    )
    out, err, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary", str(probe)]
    )
    if status != 0 and "exit_info" not in out:
        pytest.fail(f"mypy failed for another reason:\n{out}{err}")
    assert status == 0, out + err
