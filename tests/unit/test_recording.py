"""The asciicast v3 writer: header, relative intervals, resizes, UTF-8 split across reads,
input only when asked and never at a password prompt, private files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tui.core.recording import RecordingError, SessionRecorder, cast_path, is_secret_prompt


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def read_cast(path: Path) -> tuple[dict[str, object], list[list[object]]]:
    header, *events = (json.loads(line) for line in path.read_text().splitlines())
    return header, events


def test_header_events_and_relative_intervals(tmp_path: Path) -> None:
    ticks = Ticks()
    path = tmp_path / "rec" / "a.cast"
    rec = SessionRecorder(path, 80, 24, title="ada@n1", clock=ticks, wall=lambda: 1700000000.9)
    ticks.now += 0.5
    rec.output(b"\x1b[31mred\x1b[0m \xe2\x82")  # a euro sign split across two reads
    ticks.now += 0.25
    rec.output(b"\xac\r\n")
    rec.input(b"ls\r")  # input is off by default
    ticks.now += 1.0
    rec.resized(100, 30)
    rec.close(exit_status=0)
    header, events = read_cast(path)
    assert header == {
        "version": 3,
        "term": {"cols": 80, "rows": 24, "type": "xterm-256color"},
        "timestamp": 1700000000,
        "title": "ada@n1",
    }
    assert events == [
        [0.5, "o", "\x1b[31mred\x1b[0m "],
        [0.25, "o", "€\r\n"],
        [1.0, "r", "100x30"],
        [0.0, "x", "0"],
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_input_when_asked_but_never_at_a_password_prompt(tmp_path: Path) -> None:
    path = tmp_path / "b.cast"
    rec = SessionRecorder(path, 80, 24, record_input=True)
    rec.output(b"$ ")
    rec.input(b"sudo id\r")
    rec.output(b"sudo id\r\n[sudo] password for ada: ")
    for key in (b"h", b"u", b"n", b"t", b"e", b"r", b"2", b"\r"):
        rec.input(key)
    rec.input(b"x")  # typed ahead before the remote answered: that prompt was answered
    rec.output(b"\r\nuid=0(root)\r\n$ ")
    rec.input(b"ssh-keygen -p\r")
    rec.output(b"Enter old passphrase: \x1b[0m")
    rec.input(b"pw\r")
    rec.output(b"\r\n$ ")
    for char in "echo Password: ok\r":  # its echo ends like a prompt, but it is what is typed
        rec.input(char.encode())
        rec.output(b"\r\n" if char == "\r" else char.encode())
    rec.close()
    typed = "".join(str(data) for _, code, data in read_cast(path)[1] if code == "i")
    assert typed == "sudo id\rxssh-keygen -p\recho Password: ok\r"
    assert "hunter2" not in path.read_text() and "pw" not in typed


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Password: ", True),
        ("[sudo] password for ada: ", True),
        ("Enter passphrase for key '/home/ada/.ssh/id_ed25519': ", True),
        ("Enter PIN for 'PIV Card': ", True),
        ("Verification code: ", True),
        ("ada@login:~$ ", False),
        ("echo password", False),
    ],
)
def test_secret_prompts(line: str, secret: bool) -> None:
    assert is_secret_prompt(line) is secret


def test_file_names_are_new_and_tame(tmp_path: Path) -> None:
    from datetime import datetime

    when = datetime(2026, 12, 8, 3, 15, 0)
    first = cast_path(tmp_path, "ada@node/../\x1b[2J", when)
    assert first.name == "20261208-031500-ada-node-2J.cast"
    first.write_text("")
    assert cast_path(tmp_path, "ada@node/../\x1b[2J", when).name.endswith("-2J-2.cast")


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RecordingError, match=r"cannot create .*\[recording\] folder"):
        SessionRecorder(blocker / "x.cast", 80, 24)


def test_a_full_disk_stops_the_recording_and_says_why(tmp_path: Path) -> None:
    errors: list[str] = []
    rec = SessionRecorder(tmp_path / "c.cast", 80, 24, on_error=errors.append, clock=Ticks())
    assert rec._file is not None
    rec._file.close()
    rec._file = open("/dev/full", "w")  # the recorder owns and closes it
    rec.output(b"x" * 100_000)  # more than the buffer: written now, and refused
    assert not rec.active and rec.error and errors == [rec.error]
    rec.output(b"more")  # ignored, never raises
    rec.close()
