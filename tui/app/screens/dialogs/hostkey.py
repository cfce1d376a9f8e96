"""Host key trust: ask about an unknown key; refuse a changed one loudly (no override)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.app.screens.dialogs.ask import answer_once, ask
from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.identity.errors import IdentityError
from tui.core.identity.keyfiles import tildify
from tui.core.identity.keyinfo import parse_public_line
from tui.core.printable import inert
from tui.core.ssh.hostkeys import entry_at, fingerprint, known_hosts_name
from tui.core.ssh.trust import TrustChoice


def _randomart(public_key: str) -> str:
    try:
        return parse_public_line(public_key).randomart()
    except IdentityError as exc:
        return f"(no picture: {exc.message})"


class HostKeyDialog(ModalScreen[TrustChoice | None]):
    """An unknown host key: trust once, trust and remember, trust for this job, or cancel."""

    DEFAULT_CSS = """
    HostKeyDialog { align: center middle; }
    #hostkey-box {
        width: 88; height: auto; padding: 1 2;
        border: heavy $warning; background: $surface;
    }
    #hostkey-facts { height: auto; margin-top: 1; }
    #hostkey-art { width: auto; height: auto; margin: 1 0 1 22; }
    #hostkey-buttons { height: auto; margin-top: 1; }
    #hostkey-buttons Button { margin-right: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "choose('once')", "Trust once", id="hostkey-once"),
        Binding("r", "choose('remember')", "Trust and remember", id="hostkey-remember"),
        Binding("j", "choose('job')", "Trust for this job", id="hostkey-job"),
        Binding("escape", "choose('')", "Cancel", id="hostkey-cancel"),
    ]

    def __init__(self, request: HostKeyUnknown) -> None:
        super().__init__()
        self.request = request
        self.job_id: str | None = getattr(request, "job_id", None)

    def compose(self) -> ComposeResult:
        req = self.request
        with Vertical(id="hostkey-box") as box:
            box.border_title = "Unknown host key"
            yield Static(
                Text.assemble(
                    "clusterdeck has never connected to ",
                    (inert(f"{req.host}:{req.port}"), "bold"),
                    " before, so it cannot tell whether this is the real host. Compare the "
                    "fingerprint with the one your administrator or provider shows; if they "
                    "differ, cancel.",
                )
            )
            facts = [
                ("Host", known_hosts_name(req.host, req.port)),
                ("Key type", req.key_type),
                ("SHA256 fingerprint", req.fingerprint),
            ]
            if self.job_id:
                facts.append(("Job", self.job_id))
            text = Text()
            for label, value in facts:
                text.append(f"{label:<19}", "dim").append(inert(value) + "\n")
            text.rstrip()
            yield Static(text, id="hostkey-facts")
            yield Static(_randomart(req.public_key), id="hostkey-art", markup=False)
            with Horizontal(id="hostkey-buttons"):
                yield Button("Trust once", id="once", variant="primary")
                yield Button("Trust and remember", id="remember", variant="warning")
                yield Button("Trust for this job", id="job", disabled=not self.job_id)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        """Close with `choice` (`once`, `remember`, `job`); anything else cancels."""
        if choice == "once":
            self.dismiss("once")
        elif choice == "remember":
            self.dismiss("remember")
        elif choice == "job":
            if self.job_id:
                self.dismiss("job")
        else:
            self.dismiss(None)


class ChangedHostKeyAlert(ModalScreen[None]):
    """A host key changed: the connection was refused. Shows both keys and the line to remove."""

    DEFAULT_CSS = """
    ChangedHostKeyAlert { align: center middle; }
    #changed-box {
        width: 92; height: auto; padding: 1 2;
        border: heavy $error; background: $error 15%;
    }
    #changed-title { color: $error; text-style: bold; }
    #changed-box Button { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", "Close", id="changed-close"),
    ]

    def __init__(self, error: HostKeyChanged) -> None:
        super().__init__()
        self.error = error
        entry = entry_at(Path(error.known_hosts_path), error.line)
        self.old_fingerprint = fingerprint(entry.key) if entry is not None else "(line changed)"

    def compose(self) -> ComposeResult:
        err = self.error
        name = inert(known_hosts_name(err.host, err.port))
        where = tildify(Path(err.known_hosts_path))
        with Vertical(id="changed-box") as box:
            box.border_title = "HOST KEY CHANGED: connection refused"
            yield Static("WARNING: THE HOST KEY OF THIS HOST HAS CHANGED!", id="changed-title")
            yield Static(
                "Someone could be intercepting the connection (man-in-the-middle attack), or "
                "the host was reinstalled. clusterdeck refused to connect; there is no way to "
                "override this here.\n"
            )
            yield Static(
                f"Host              {name}\n"
                f"Key type          {inert(err.key_type)}\n"
                f"Old fingerprint   {self.old_fingerprint}\n"
                f"                  (remembered in {where} line {err.line})\n"
                f"New fingerprint   {err.fingerprint}\n"
                f"                  (presented now)\n",
                id="changed-facts",
                markup=False,
            )
            yield Static(
                f"Only if the cluster's administrator confirms the new fingerprint, remove line "
                f"{err.line} of {where}, e.g.:\n"
                f"$ ssh-keygen -R '{name}' -f {where}\nthen connect again.",
                id="changed-fix",
                markup=False,
            )
            yield Button("Close", id="close", variant="error")

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss(None)


async def ask_trust(app: App[Any], request: HostKeyUnknown) -> TrustChoice | None:
    """Show `HostKeyDialog` for `request` and wait for the answer (None: cancelled)."""
    return await ask(app, HostKeyDialog(request))


def alert_changed(app: App[Any], error: HostKeyChanged) -> asyncio.Future[None]:
    """Show `ChangedHostKeyAlert` for `error`; the future is done when the alert is closed.

    The pool refuses the connection anyway; it waits on the future so other connects to the
    host (and their error toasts) wait until the alert is closed instead of stacking on it.
    """
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    app.push_screen(ChangedHostKeyAlert(error), callback=answer_once(closed))
    return closed
