"""The clipboard flow without Textual: plain fakes of its protocols, the real bridge."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tui.core.clipboard.bridge import ClipboardBridge, ClipboardError
from tui.core.clipboard.flow import ClipboardFlow, human_size
from tui.core.clipboard.protocols import PasteChoice, Severity, Shell
from tui.core.clock import ManualClock
from tui.core.errors import ProviderError
from tui.core.models import Node, NodeState, SshTarget

NODE = Node("4207", "master-0", "master", "127.0.0.1", 2222, NodeState.RUNNING, user="ada")
NODE_TARGET = SshTarget("127.0.0.1", 2222, "ada")
SHELL_TARGET = SshTarget("10.0.0.5", 22, "ada")


@dataclass
class Terminal:
    running: bool = True
    bracketed_paste: bool = False
    pasted: list[str] = field(default_factory=list)

    def paste(self, text: str) -> None:
        self.pasted.append(text)


@dataclass
class Tabs:
    shell: Shell | None = None
    on_screen: bool = False
    shown: int = 0

    def focused(self) -> Shell | None:
        return self.shell if self.on_screen else None

    def selected(self) -> Shell | None:
        return self.shell

    async def show(self) -> None:
        self.shown += 1
        self.on_screen = True


@dataclass
class Files:
    content: dict[tuple[SshTarget, str], str] = field(default_factory=dict)
    broken: Exception | None = None

    async def write(self, target: SshTarget, path: str, text: str) -> int:
        if self.broken is not None:
            raise self.broken
        self.content[(target, path)] = text
        return len(text.encode())

    async def read(self, target: SshTarget, path: str) -> str:
        if self.broken is not None:
            raise self.broken
        try:
            return self.content[(target, path)]
        except KeyError:
            raise ClipboardError(f"could not read {path} on the node: no such file") from None


@dataclass
class Harness:
    bridge: ClipboardBridge
    tabs: Tabs
    files: Files
    flow: ClipboardFlow
    notes: list[tuple[str, str, Severity]]
    asked: list[tuple[str, str, str]]
    answers: list[PasteChoice | None]
    node: list[Node | None]


@pytest.fixture
def h() -> Harness:
    bridge = ClipboardBridge(prefer="buffer", clock=ManualClock())
    tabs, files = Tabs(), Files()
    notes: list[tuple[str, str, Severity]] = []
    asked: list[tuple[str, str, str]] = []
    answers: list[PasteChoice | None] = []
    node: list[Node | None] = [NODE]

    def notify(message: str, *, title: str = "", severity: Severity = "information") -> None:
        notes.append((message, title, severity))

    async def confirm(text: str, reason: str, label: str) -> PasteChoice | None:
        asked.append((text, reason, label))
        return answers.pop(0)

    def node_target(found: Node) -> SshTarget:
        if found.state is not NodeState.RUNNING:
            raise ProviderError(f"node {found.name} is not running")
        return NODE_TARGET

    flow = ClipboardFlow(
        bridge,
        remote_file="clipboard.txt",
        notify=notify,
        shells=tabs,
        highlighted_node=lambda: node[0],
        node_target=node_target,
        files=files,
        confirm_paste=confirm,
    )
    return Harness(bridge, tabs, files, flow, notes, asked, answers, node)


def shell(terminal: Terminal, target: SshTarget | None = SHELL_TARGET) -> Shell:
    return Shell(terminal, "ada@worker-1", target)


async def test_push_pastes_into_the_focused_shell_sanitised(h: Harness) -> None:
    terminal = Terminal()
    h.tabs.shell, h.tabs.on_screen = shell(terminal), True
    h.bridge.write_local("echo hi\x1b[201~")
    await h.flow.push()
    assert terminal.pasted == ["echo hi [201~"]
    assert (h.bridge.history[0].how, h.bridge.history[0].node) == ("shell", "ada@worker-1")
    assert h.asked == [] and h.files.content == {}


async def test_multi_line_paste_asks_and_honours_each_answer(h: Harness) -> None:
    terminal = Terminal()
    target = shell(terminal)
    h.answers += [None, "one-line", "always"]
    await h.flow.paste_into(target, "cd /tmp\nls\n")
    assert terminal.pasted == []  # cancelled
    assert h.asked[0] == (
        "cd /tmp\nls\n",
        "2 lines into a shell that did not ask for bracketed paste",
        "ada@worker-1",
    )
    await h.flow.paste_into(target, "cd /tmp\nls\n")
    assert terminal.pasted == ["cd /tmp ls"]
    await h.flow.paste_into(target, "a\nb")
    await h.flow.paste_into(target, "c\nd")  # "don't ask again" holds for the session
    assert terminal.pasted[1:] == ["a\nb", "c\nd"]
    assert len(h.asked) == 3 and not h.flow.confirm_pastes


async def test_a_bracketed_shell_takes_multi_line_text_without_asking(h: Harness) -> None:
    terminal = Terminal(bracketed_paste=True)
    await h.flow.paste_into(shell(terminal), "line 1\nline 2\n")
    assert terminal.pasted == ["line 1\nline 2\n"] and h.asked == []


async def test_push_off_a_shell_writes_the_highlighted_nodes_file(h: Harness) -> None:
    h.tabs.shell = shell(Terminal())  # open, but not on screen
    h.bridge.write_local("日本語")
    await h.flow.push()
    assert h.files.content == {(NODE_TARGET, "clipboard.txt"): "日本語"}
    assert h.notes[-1] == (
        "Wrote 9 B to clipboard.txt on master-0 (mode 0600).",
        "Clipboard → cluster",
        "information",
    )
    assert h.bridge.history[0].how == "file clipboard.txt"


async def test_the_shown_shells_node_is_the_file_target(h: Harness) -> None:
    h.tabs.shell, h.tabs.on_screen = shell(Terminal(running=False)), True
    h.bridge.write_local("x")
    await h.flow.push()  # an ended shell takes no paste: its node's file does
    assert list(h.files.content) == [(SHELL_TARGET, "clipboard.txt")]


async def test_what_goes_wrong_is_said_and_nothing_is_written(h: Harness) -> None:
    await h.flow.push()
    assert h.notes[-1] == ("The clipboard is empty: copy some text first.", "Clipboard", "warning")
    h.bridge.write_local("x")
    h.node[0] = None
    await h.flow.send_to_file("a.txt")
    assert h.notes[-1] == ("Highlight a running node first.", "Clipboard", "warning")
    h.node[0] = Node("4211", "master-0", "master", "127.0.0.1", 0, NodeState.PENDING)
    await h.flow.send_to_file("a.txt")
    assert h.notes[-1] == ("node master-0 is not running", "Provider error", "error")
    h.node[0] = NODE
    h.files.broken = OSError("permission denied")
    await h.flow.send_to_file("a.txt")
    assert h.notes[-1] == ("permission denied (OSError)", "Clipboard", "error")
    assert h.files.content == {} and not h.bridge.history


async def test_fetch_and_received_text_reach_the_local_clipboard(h: Harness) -> None:
    h.files.content[(NODE_TARGET, "results.txt")] = "residual 1e-6\n"
    await h.flow.fetch_file("results.txt")
    assert h.bridge.read_local() == "residual 1e-6\n" == h.bridge.from_cluster
    assert h.notes[-1][1] == "Cluster → clipboard"
    await h.flow.fetch_file("missing.txt")
    assert "no such file" in h.notes[-1][0] and h.notes[-1][2] == "error"
    h.flow.received(shell(Terminal()), "copied ✓", "OSC 52")
    assert h.bridge.read_local() == "copied ✓"
    assert h.notes[-1][0] == "Copied 10 B from ada@worker-1 (OSC 52) to the in-app clipboard."


async def test_bridge_actions(h: Harness) -> None:
    h.bridge.write_local("ls\n")
    await h.flow.run_bridge_action("send-shell", "ignored")
    assert h.notes[-1][0] == "No shell is running: open one with enter on a node."
    terminal = Terminal()
    h.tabs.shell = shell(terminal)
    await h.flow.run_bridge_action("send-shell", "ignored")
    assert h.tabs.shown == 1 and terminal.pasted == ["ls\n"]
    await h.flow.run_bridge_action("send-file", "out.txt")
    assert h.files.content[(SHELL_TARGET, "out.txt")] == "ls\n"  # the shells are on screen now
    await h.flow.run_bridge_action("fetch-file", "out.txt")
    assert h.bridge.from_cluster == "ls\n"


def test_human_size() -> None:
    assert [human_size(n) for n in (999, 1234, 2_500_000)] == ["999 B", "1.2 kB", "2.5 MB"]
