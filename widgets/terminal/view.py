"""`TerminalView`: an embedded terminal over a `TerminalBackend`, built on the line API."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.strip import Strip

from widgets.terminal import messages
from widgets.terminal.backend import TerminalBackend
from widgets.terminal.host import ViewHost
from widgets.terminal.keyboard import DEFAULT_PASSTHROUGH_KEYS, encode_key, encode_paste
from widgets.terminal.model import EmulatorFactory, TerminalModel, avt_emulator
from widgets.terminal.pointer_events import PointerEvents
from widgets.terminal.screen import Overlays
from widgets.terminal.session import State
from widgets.terminal.taps import InputListener, KeyInput, PasteInput, StreamTap, TypedInput


class TerminalView(PointerEvents, can_focus=True):
    """A terminal screen (pyavt) wired to a `TerminalBackend`: output, keys, paste and mouse.

    Output is read by a worker, fed in budgeted slices and painted at most 60 times a second,
    repainting only dirty rows. When focused, every key goes to the remote except
    `passthrough_keys` and the view's own bindings. With the remote's mouse mode off (or shift
    held) the wheel scrolls the scrollback and a drag selects text (posting `CopyRequested`).
    Once the session ended, keys reach the app again and `r`/`enter` reconnect. The view
    closes its backend when it is unmounted.
    """

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "shift+pageup",
            "scroll_back",
            "Back",
            show=False,
            id="terminal-scroll-back",
            tooltip="Scroll back",
        ),
        Binding(
            "shift+pagedown",
            "scroll_fwd",
            "Fwd",
            show=False,
            id="terminal-scroll-forward",
            tooltip="Scroll forward",
        ),
        Binding(
            "r,enter",
            "reconnect",
            "Reconnect",
            id="terminal-reconnect",
            tooltip="Reconnect an ended shell",
        ),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | shift+pageup | terminal-scroll-back | Scroll back a page (not sent to the remote). |
    | shift+pagedown | terminal-scroll-forward | Scroll forward a page. |
    | r, enter | terminal-reconnect | Reconnect (only once the session ended). |
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "terminal-view--cursor",
        "terminal-view--selection",
        "terminal-view--status",
        "terminal-view--link",
    }
    """
    | Class | Description |
    | :- | :- |
    | `terminal-view--cursor` | The cursor cell (while focused and not hidden by the remote). |
    | `terminal-view--selection` | Selected text. |
    | `terminal-view--status` | The exit/failure line and the scrollback marker. |
    | `terminal-view--link` | OSC 8 hyperlinks (a click posts `LinkClicked`). |
    """
    DEFAULT_CSS = """
    TerminalView {
        background: $background;
        color: $foreground;
        & > .terminal-view--cursor { text-style: reverse; }
        & > .terminal-view--selection { background: $input-selection-background; }
        & > .terminal-view--status { background: $warning; color: auto 90%; text-style: bold; }
        & > .terminal-view--link { text-style: underline; }
    }
    """

    TitleChanged = messages.TitleChanged
    ClipboardWritten = messages.ClipboardWritten
    CopyRequested = messages.CopyRequested
    Exited = messages.Exited
    Started = messages.Started
    PasteRequested = messages.PasteRequested
    Bell = messages.Bell
    LinkClicked = messages.LinkClicked

    def __init__(
        self,
        backend: TerminalBackend,
        *,
        scrollback: int = 10_000,
        passthrough_keys: frozenset[str] = DEFAULT_PASSTHROUGH_KEYS,
        emulator_factory: EmulatorFactory = avt_emulator,
        guard_paste: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create a terminal view; the session starts once the view has a size.

        Args:
            backend: The session to show.
            scrollback: Lines of history kept.
            passthrough_keys: Keys never sent to the remote (left to app bindings).
            emulator_factory: The emulation engine (pyavt by default).
            guard_paste: Post `PasteRequested` for the outer terminal's pastes instead of
                sending them, so the app can confirm multi-line or large pastes first.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.backend = backend
        self.scrollback = scrollback
        self.passthrough_keys = passthrough_keys
        self.guard_paste = guard_paste
        self._factory = emulator_factory
        self._model: TerminalModel | None = None
        self._host = ViewHost(self, backend)
        self._session = self._host.session
        self._pointer = self._host.pointer
        self._screen = self._host.screen
        self.now: Callable[[], datetime] = datetime.now
        """Local time, for the reconnect separator (tests may set it)."""
        self.input_listener: InputListener | None = None
        """Told about every key and paste the user sends (input broadcast), when set."""

    # -- state for the app and tests ---------------------------------------------------------

    @property
    def model(self) -> TerminalModel:
        """The screen model (created on first use, kept across reconnects)."""
        if self._model is None:
            cols, rows = self._terminal_size()
            self._model = TerminalModel(
                cols, rows, scrollback=self.scrollback, emulator_factory=self._factory
            )
        return self._model

    @property
    def state(self) -> State:
        """`idle`, `starting`, `running` or `exited`."""
        return self._session.state

    @property
    def running(self) -> bool:
        """The session is up (keys go to the remote)."""
        return self._session.state == "running"

    @property
    def title(self) -> str:
        """The title set by the remote (OSC 0/2)."""
        return self.model.scanner.title

    @property
    def bracketed_paste(self) -> bool:
        """The remote asked for bracketed paste (2004)."""
        return self.model.scanner.bracketed_paste

    @property
    def mouse_mode(self) -> int:
        """The remote's mouse tracking mode: 0 (off), 9, 1000, 1002 or 1003."""
        return self.model.scanner.mouse_tracking

    @property
    def application_cursor(self) -> bool:
        """DECCKM: arrows are sent as `SS3 A`."""
        return self.model.scanner.application_cursor

    @property
    def is_alternate_screen(self) -> bool:
        """The alternate screen (vim, less, htop) is active."""
        return self.model.scanner.alternate_screen

    @property
    def scrolled_back(self) -> int:
        """How many lines the view is scrolled back into the scrollback (0 = live)."""
        return self._screen.scrolled

    @property
    def status_text(self) -> str | None:
        """The exit or failure line shown on the bottom row, if any."""
        return self._host.status

    @property
    def tap(self) -> StreamTap | None:
        """Sees output, input and resizes (a recorder); None: nobody."""
        return self._session.tap

    @tap.setter
    def tap(self, tap: StreamTap | None) -> None:
        self._session.tap = tap

    def screen_text(self) -> list[str]:
        """The visible rows (honouring the scrollback position) as plain text."""
        return self._screen.text(self.model.emulator)

    def cell_style(self, x: int, y: int) -> Style:
        """The Rich style of a visible cell (without cursor or selection)."""
        return self._screen.style(self.model.emulator, x, y)

    # -- session -----------------------------------------------------------------------------

    def _terminal_size(self) -> tuple[int, int]:
        width, height = self.size
        return max(1, width), max(1, height)

    def on_mount(self) -> None:
        self.call_after_refresh(self._start_when_sized)

    def _start_when_sized(self) -> None:
        if self.state == "idle" and self.size.area:
            self.start()

    def start(self) -> None:
        """Start the session: `backend.start(cols, rows)`, then the read loop (unless live)."""
        if self.state in ("starting", "running"):
            return
        self._session.state = "starting"
        self._host.set_status(None)
        self.model.resize(*self._terminal_size())
        self.run_worker(
            self._session.run(self.model),
            group="terminal-session",
            exclusive=True,
            exit_on_error=False,
        )

    def reconnect(self) -> None:
        """Start a new session after the old one ended: its screen goes to the scrollback,
        under a `── reconnected HH:MM:SS ──` line, and the new one starts on a clean screen."""
        if self.state != "exited":
            return
        self.model.reset_for_reconnect(f"── reconnected {self.now():%H:%M:%S} ──")
        self._screen.painter.clear()
        self._screen.scrolled = 0
        self.start()

    async def on_unmount(self) -> None:
        await self._session.close()

    # -- painting ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        started = time.perf_counter()
        overlays = Overlays(
            cursor=self.running and self.has_focus,
            selection=self._pointer.selection,
            status=self._host.status,
            cursor_style=self.get_component_rich_style("terminal-view--cursor", partial=True),
            selection_style=self.get_component_rich_style("terminal-view--selection"),
            status_style=self.get_component_rich_style("terminal-view--status"),
            links=self.model.links,
            link_style=self.get_component_rich_style("terminal-view--link", partial=True),
        )
        strip = self._screen.render(self.model.emulator, y, self.size.height, overlays)
        self._session.render_cost += time.perf_counter() - started
        return strip.crop_extend(0, self.size.width, None)

    # -- keys, paste, scrolling, focus, size -------------------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """While running, every encodable key but `passthrough_keys` goes to the remote.

        Textual then drops the app's bindings for those keys (priority ones included, e.g. the
        command palette's ctrl+p) from the chain while this view is focused.
        """
        return (
            self.running
            and key not in self.passthrough_keys
            and encode_key(key, character) is not None
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.state == "exited" if action == "reconnect" else True

    def on_key(self, event: events.Key) -> None:
        if not self.check_consume_key(event.key, event.character):
            return
        active = self.screen.active_bindings.get(event.key)  # own bindings, keymap applied
        if active is not None and active.node is self and active.enabled:
            return
        if self.send_key(event.key, event.character):
            event.stop()
            event.prevent_default()
            self._typed(KeyInput(event.key, event.character))

    def send_key(self, key: str, character: str | None) -> bool:
        """Encode a key for this remote's modes and send it; False when it has no encoding."""
        data = encode_key(key, character, application_cursor=self.application_cursor)
        if data is None:
            return False
        self.send(data)
        return True

    def send(self, data: bytes) -> None:
        """Write input to the remote and jump back to the live screen."""
        if self.running:
            self._host.write(data)
            if self._session.tap is not None:
                self._session.tap.input(data)
            self.scroll_back(-self._screen.scrolled)

    def _typed(self, typed: TypedInput) -> None:
        if self.input_listener is not None:
            self.input_listener(self, typed)

    def on_paste(self, event: events.Paste) -> None:
        if self.running:
            event.stop()
            event.prevent_default()
            if self.guard_paste:
                self.post_message(self.PasteRequested(self, event.text))
            else:
                self.paste(event.text)

    def paste(self, text: str) -> None:
        """Paste text: bracketed when the remote asked for it, unsafe characters always
        replaced by spaces."""
        if text:
            self.send(encode_paste(text, bracketed=self.bracketed_paste))
            self._typed(PasteInput(text))

    def action_scroll_back(self) -> None:
        self.scroll_back(max(1, self.model.emulator.size[1] - 1))

    def action_scroll_fwd(self) -> None:
        self.scroll_back(-max(1, self.model.emulator.size[1] - 1))

    def action_reconnect(self) -> None:
        self.reconnect()

    def scroll_back(self, lines: int) -> None:
        """Scroll `lines` further into the scrollback (negative: towards the live screen)."""
        if self._screen.scroll(self.model.emulator, lines):
            self.refresh()

    def on_focus(self, event: events.Focus) -> None:
        self._focus_changed(b"\x1b[I")

    def on_blur(self, event: events.Blur) -> None:
        self._focus_changed(b"\x1b[O")

    def _focus_changed(self, report: bytes) -> None:
        if self.model.scanner.focus_events:
            self._host.write(report)
        if self.running:
            self._session.frame_now()

    def on_resize(self, event: events.Resize) -> None:
        if self.state == "idle":
            self._start_when_sized()
            return
        size = self._terminal_size()
        if size != self.model.emulator.size:
            self.model.resize(*size)
            self._screen.resized(self.model.emulator)
            self.refresh()
            if self.running:
                self._session.resize(*size)

    # -- selection ---------------------------------------------------------------------------

    def copy_selection(self) -> str:
        """Return the selected text, posting `CopyRequested` when there is some."""
        text = self.selected_text
        if text:
            self.post_message(self.CopyRequested(self, text))
        return text
