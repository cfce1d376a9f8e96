"""The clipboard bridge: sanitising, paste policy, backends (a real X clipboard), history."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.xserver import running_xvfb
from tui.core.clipboard.bridge import (
    CONFIRM_BYTES,
    HISTORY,
    ClipboardBridge,
    needs_confirm,
    one_line,
    sanitize,
)
from tui.core.clock import ManualClock


def test_sanitize_replaces_escapes_and_controls_but_keeps_text_layout() -> None:
    assert sanitize("a\x1b[201~rm -rf x\nb\tc\r\nd\x00\x07\x9b") == "a [201~rm -rf x\nb\tc\r\nd   "
    assert sanitize("ls \u202egnp.exe\u202c \u2066x\u2069") == "ls  gnp.exe   x "
    assert sanitize("\x03\x15\x17\x1a") == "    "  # ^C ^U ^W ^Z never reach the tty
    assert sanitize("日本語 🚀") == "日本語 🚀"


def test_needs_confirm() -> None:
    assert needs_confirm("one line\n", bracketed=False) is None
    assert needs_confirm("a\nb\n", bracketed=False) == (
        "2 lines into a shell that did not ask for bracketed paste"
    )
    assert needs_confirm("a\nb\n", bracketed=True) is None
    assert "large paste" in (needs_confirm("x" * (CONFIRM_BYTES + 1), bracketed=True) or "")


def test_one_line() -> None:
    assert one_line("  cd /tmp\n\nls -l  \n") == "cd /tmp ls -l"


def test_without_a_native_clipboard_osc52_then_buffer() -> None:
    written: list[str] = []
    bridge = ClipboardBridge(osc52_writer=written.append)
    assert bridge.backend == "osc52"
    assert bridge.hint is not None and "xclip" in bridge.hint
    bridge.write_local("to the terminal")
    assert written == ["to the terminal"]
    assert bridge.read_local() == "to the terminal"  # OSC 52 cannot be read: the app's copy
    buffer = ClipboardBridge()
    assert buffer.backend == "buffer"
    buffer.write_local("kept in the app")
    assert buffer.read_local() == "kept in the app"


def test_history_keeps_the_last_twenty_newest_first() -> None:
    clock = ManualClock()
    bridge = ClipboardBridge(prefer="buffer", clock=clock)
    for i in range(HISTORY + 5):
        clock.advance(1)
        bridge.record("to-cluster", f"node-{i}", "x" * i, "shell")
    assert len(bridge.history) == HISTORY
    assert bridge.history[0].node == f"node-{HISTORY + 4}"
    assert bridge.history[0].size == HISTORY + 4
    received = bridge.receive("master-0", "from the node", "OSC 52")
    assert bridge.from_cluster == "from the node"
    assert received.direction == "from-cluster"


@pytest.fixture
def x_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with running_xvfb() as display:
        monkeypatch.setenv("DISPLAY", display)
        yield display


def xclip_out(display: str) -> str:
    return subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"],
        capture_output=True,
        text=True,
        env={"DISPLAY": display},
        check=True,
        timeout=10,
    ).stdout


def xclip_in(display: str, text: str) -> None:
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-i"],
        input=text,
        text=True,
        env={"DISPLAY": display},
        check=True,
        timeout=10,
    )


@pytest.mark.sshd
def test_real_x_clipboard_both_ways(x_display: str) -> None:
    bridge = ClipboardBridge()
    assert bridge.backend == "native"
    assert bridge.hint is None
    bridge.write_local("from clusterdeck: 日本 🚀")
    assert xclip_out(x_display) == "from clusterdeck: 日本 🚀"
    xclip_in(x_display, "typed elsewhere\nsecond line")
    assert bridge.read_local() == "typed elsewhere\nsecond line"


@pytest.mark.sshd
def test_prefer_buffer_ignores_the_native_clipboard(x_display: str) -> None:
    bridge = ClipboardBridge(prefer="buffer")
    assert bridge.backend == "buffer"
    bridge.write_local("private")
    assert bridge.read_local() == "private"


def test_in_a_browser_osc52_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    assert ClipboardBridge(osc52_writer=lambda text: None).backend == "osc52"


def test_short_descriptions_for_the_top_line() -> None:
    assert ClipboardBridge(osc52_writer=lambda text: None).short_description == "OSC 52"
    assert ClipboardBridge(prefer="buffer").short_description == "in-app"
