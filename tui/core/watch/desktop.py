"""Desktop notifications: which channel, and the exact bytes or command line for it.

The channels: `notify-send` (freedesktop notifications, when installed and a session bus or
display is there), OSC 777 (`ESC ] 777 ; notify ; title ; body BEL`: foot, rxvt-unicode,
WezTerm, Ghostty, VTE terminals that carry the patch), OSC 9 (`ESC ] 9 ; body BEL`: iTerm2,
WezTerm, Ghostty, ConEmu, Windows Terminal), and the terminal bell as the last resort. The text
is inert already (`Notice`); here it is also cut to one short line, and the characters that
end or split an OSC payload (`;` in the title, any control character) cannot occur in it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from tui.core.config.watching import DesktopChannel
from tui.core.printable import printable

OSC_LIMIT = 200
"""Characters of title or body in an OSC notification."""

_OSC9_TERMINALS = {"iTerm.app"}
_OSC777_TERMINALS = {"WezTerm", "ghostty"}


def choose_channel(
    setting: DesktopChannel,
    *,
    env: Mapping[str, str] | None = None,
    has_notify_send: bool | None = None,
) -> DesktopChannel:
    """The channel to use for `setting` ("auto" picks the best one this session has)."""
    if setting != "auto":
        return setting
    env = os.environ if env is None else env
    if has_notify_send is None:
        has_notify_send = shutil.which("notify-send") is not None
    session = env.get("DBUS_SESSION_BUS_ADDRESS") or env.get("WAYLAND_DISPLAY")
    if has_notify_send and (session or env.get("DISPLAY")) and not env.get("SSH_CONNECTION"):
        return "notify-send"
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if program in _OSC9_TERMINALS or env.get("ConEmuANSI") or env.get("WT_SESSION"):
        return "osc9"
    if program in _OSC777_TERMINALS or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "bell"


def _field(text: str, limit: int = OSC_LIMIT) -> str:
    """One line of printable text, without `;` (it separates OSC fields)."""
    return printable(text, limit).replace(";", ",")


def osc777(title: str, body: str) -> str:
    """The OSC 777 notification sequence: nothing inside can end it early or add a field."""
    return f"\x1b]777;notify;{_field(title)};{_field(body)}\x07"


def osc9(title: str, body: str) -> str:
    """The OSC 9 notification sequence (one text: `title: body`)."""
    return f"\x1b]9;{_field(f'{title}: {body}')}\x07"


def notify_send_argv(title: str, body: str, *, urgency: str = "normal") -> list[str]:
    """`notify-send` with the text as plain arguments (no shell); `<`, `>`, `&` are escaped,
    as notification daemons read the body as markup."""
    escaped = printable(body, 500).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return [
        "notify-send",
        "--app-name=clusterdeck",
        f"--urgency={urgency}",
        "--",
        printable(title, 120),
        escaped,
    ]
