"""alt+r records a demo node's shell to an asciicast v3 file that replays to the same output."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from tests.app.test_broadcast import type_text
from tests.app.test_shells import open_shell
from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp
from tui.core.recording import SessionRecorder
from widgets.terminal.model import TerminalModel
from widgets.terminal.view import TerminalView

Running = tuple[ClusterdeckApp, Pilot[None]]
COLOURS = "printf '\\033[31mRED\\033[0m \\033[1;38;5;208mORANGE\\033[0m %s\\n' done"


@dataclass
class Tee:
    """Passes the stream on to the recorder and keeps the output bytes as read."""

    recorder: SessionRecorder
    output_bytes: list[bytes] = field(default_factory=list)

    def output(self, data: bytes) -> None:
        self.output_bytes.append(data)
        self.recorder.output(data)

    def input(self, data: bytes) -> None:
        self.recorder.input(data)

    def resized(self, cols: int, rows: int) -> None:
        self.recorder.resized(cols, rows)


def read_cast(path: Path) -> tuple[dict[str, object], list[list[object]]]:
    header, *events = (json.loads(line) for line in path.read_text().splitlines())
    return header, events


def has(view: TerminalView, needle: str) -> bool:
    return any(needle in row for row in view.screen_text())


async def test_recording_replays_byte_identical_output(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    await pilot.press("alt+r")
    recorder = app.terminals.recordings.recorder(view)
    assert recorder is not None
    assert recorder.path.parent == app.settings.state_dir / "recordings"
    tab = app.terminals.query_one(TabbedContent).get_tab("shell-1")
    assert str(tab.label).startswith("● REC ") and tab.has_class("-recording")
    tee = Tee(recorder)
    view.tap = tee
    view.send(COLOURS.encode() + b"\r")
    await wait_until(lambda: has(view, "RED ORANGE done"), pause=pilot.pause, what="colours")
    await pilot.resize_terminal(100, 30)
    await wait_until(lambda: view.size.width == 100, pause=pilot.pause, what="resized")
    view.send(b"echo AFTER-$((1+1))\r")
    await wait_until(lambda: has(view, "AFTER-2"), pause=pilot.pause, what="after resize")
    await pilot.press("alt+r")
    assert app.terminals.recordings.recorder(view) is None and not recorder.active
    assert not str(tab.label).startswith("● REC ")

    header, events = read_cast(recorder.path)
    assert header["version"] == 3
    assert header["term"] == {"cols": 120, "rows": view.size.height + 6, "type": "xterm-256color"}
    assert all(isinstance(e[0], float | int) and e[0] >= 0 for e in events)
    output = "".join(str(e[2]) for e in events if e[1] == "o")
    assert output == b"".join(tee.output_bytes).decode()  # byte for byte what the node sent
    assert "\x1b[31mRED\x1b[0m \x1b[1;38;5;208mORANGE\x1b[0m done\r\n" in output
    assert [e[2] for e in events if e[1] == "r"] == [f"100x{view.size.height}"]
    assert not [e for e in events if e[1] == "i"]  # input is off by default
    assert stat.S_IMODE(recorder.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(recorder.path.parent.stat().st_mode) == 0o700

    # Played back into a fresh emulator, the recording draws the same coloured line.
    term = header["term"]
    assert isinstance(term, dict)
    model = TerminalModel(term["cols"], term["rows"])
    for _, code, data in events:
        if code == "o":
            model.feed(str(data).encode())
        elif code == "r":
            model.resize(*map(int, str(data).split("x")))
    lines = model.screen_lines()
    row = next(y for y, line in enumerate(lines) if line.startswith("RED ORANGE done"))
    assert model.emulator.size == view.model.emulator.size
    assert lines[row + 1 :].count("") < len(lines)  # the later echo is there too
    assert any("AFTER-2" in line for line in lines[row:])


async def test_input_recording_leaves_out_a_password(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "casts"
    app = app_factory(recording_folder=folder, record_input=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        view = await open_shell(app, pilot)
        await pilot.press("alt+r")
        recorder = app.terminals.recordings.recorder(view)
        assert recorder is not None and recorder.path.parent == folder
        view.send(b"stty -echo; printf 'Password: '; read pw; stty echo; echo; echo got-${#pw}\r")
        await wait_until(lambda: has(view, "Password:"), pause=pilot.pause, what="prompt")
        await type_text(pilot, "hunter2")
        await wait_until(lambda: has(view, "got-7"), pause=pilot.pause, what="read done")
        view.send(b"echo visible\r")
        await wait_until(lambda: has(view, "visible"), pause=pilot.pause, what="echo")
        await pilot.press("alt+r")
    typed = "".join(str(e[2]) for e in read_cast(recorder.path)[1] if e[1] == "i")
    assert "printf 'Password: '" in typed and "echo visible\r" in typed
    assert "hunter2" not in recorder.path.read_text()


async def test_a_recording_ends_with_its_shell_or_the_app(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        first = await open_shell(app, pilot)
        await pilot.press("alt+r")
        ended = app.terminals.recordings.recorder(first)
        first.send(b"exit 3\r")
        await wait_until(lambda: first.state == "exited", pause=pilot.pause, what="exit")
        assert app.terminals.recordings.recorder(first) is None
        await pilot.press("ctrl+right_square_bracket")
        second = await open_shell(app, pilot, row=1)
        await pilot.press("alt+r")
        quit_with = app.terminals.recordings.recorder(second)
        second.send(b"echo STILL-$((2+2))\r")
        await wait_until(lambda: has(second, "STILL-4"), pause=pilot.pause, what="output")
    assert ended is not None and quit_with is not None
    assert read_cast(ended.path)[1][-1][1:] == ["x", "3"]
    output = "".join(str(e[2]) for e in read_cast(quit_with.path)[1] if e[1] == "o")
    assert "STILL-4" in output  # written out when the app quit
