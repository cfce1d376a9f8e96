"""Persistent shells on the nodes: tmux sessions clusterdeck made, named and marked as its own.

Each shell runs in a tmux session named `cd-<job>-<node>-<n>` with the session option
`@clusterdeck 1` (and `@clusterdeck_job`, `@clusterdeck_node`). clusterdeck attaches to, renames
and kills only sessions carrying that marker, so a user's own session with a clashing name is
never touched. Every remote command is one line of POSIX `sh -c '...'`, whatever the login shell.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tui.core.errors import SshError
from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool

PersistMode = Literal["auto", "tmux", "screen", "off"]
"""`auto`: tmux when the node has it, else a plain shell; `tmux` or `screen`: that one, or a
plain shell with a warning; `off`: always a plain shell."""
PERSIST_MODES: tuple[str, ...] = ("auto", "tmux", "screen", "off")

PREFIX = "cd-"
MARKER = "@clusterdeck"
HISTORY_LINES = 2000
"""Lines of the remote pane's history copied into the tab's scrollback on a fresh attach."""
LIST_TIMEOUT = 10.0
"""Seconds a listing or probe may take on one node."""

EXIT_NO_TMUX = 96
"""The attach command's exit status: tmux (or screen) is not installed."""
EXIT_FOREIGN = 98
"""...a session with that name exists but clusterdeck did not make it."""
EXIT_GONE = 99
"""...the session is gone (and the command was told not to create it)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_UNSAFE_VALUE = re.compile(r"[^A-Za-z0-9_.:/@+=-]+")
_FIELDS = (
    "#{session_name}",
    f"#{{{MARKER}}}",
    f"#{{{MARKER}_job}}",
    f"#{{{MARKER}_node}}",
    "#{session_attached}",
    "#{session_created}",
    "#{session_activity}",
)
LIST_FORMAT = "|".join(_FIELDS)
"""tmux prints a tab as `_`, so fields are split at `|` (from the right: a foreign name may
hold one)."""


def safe_part(text: str, limit: int = 24) -> str:
    """`text` with everything but letters, digits, `_` and `-` made `_`, cut to `limit`."""
    return _UNSAFE.sub("_", text).strip("_")[:limit] or "x"


def safe_value(text: str) -> str:
    """A job key or node name as stored in a tmux option (no spaces, quotes or `;`)."""
    return _UNSAFE_VALUE.sub("_", text)[:200]


def session_name(job_id: str, node: str, number: int) -> str:
    """The session of the `number`th shell on `node` of job `job_id`: `cd-<job>-<node>-<n>`."""
    return f"{PREFIX}{safe_part(job_id)}-{safe_part(node)}-{number}"


def valid_name(name: str) -> bool:
    """Whether `name` may be used as a session name (what `safe_part` keeps, 1-64 chars)."""
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name))


@dataclass(frozen=True)
class RemoteSession:
    """One tmux session on a node, as listed there."""

    name: str
    ours: bool
    """It carries the `@clusterdeck 1` marker."""
    job: str = ""
    """The job key it was made for (`@clusterdeck_job`)."""
    node: str = ""
    attached: int = 0
    """Clients attached now."""
    created: int = 0
    """Epoch seconds."""
    activity: int = 0
    """Epoch seconds of the last output."""


def _sh(script: str) -> str:
    """`script` as one command line for any login shell (csh too): `sh -c '...'`."""
    return f"sh -c {shlex.quote(script)}"


def _exact(name: str) -> str:
    return shlex.quote(f"={name}")


def _session(name: str) -> str:
    """`name` as an options target: exact (`=`), with the `:` options commands need."""
    return shlex.quote(f"={name}:")


def _marked(name: str) -> str:
    """A shell condition: the session `name` carries our marker."""
    return f'[ "$(tmux show-options -qv -t {_session(name)} {MARKER} 2>/dev/null)" = 1 ]'


def probe_command(name: str | None, *, history: int = HISTORY_LINES) -> str:
    """Is tmux there, which sessions exist, and (for `name`, when ours) its pane's history.

    Output: `tmux` or `notmux`, then `list_sessions` lines, then `--capture--` and the capture.
    """
    parts = [
        "unset TMUX",
        "command -v tmux >/dev/null 2>&1 || { echo notmux; exit 0; }",
        "echo tmux",
        f"tmux list-sessions -F {shlex.quote(LIST_FORMAT)} 2>/dev/null",
    ]
    if name is not None:
        parts += [
            "echo --capture--",
            f"if {_marked(name)}; then tmux capture-pane -p -e -J -S -{history} "
            f"-t {_session(name)}; fi",
        ]
    return _sh("; ".join(parts) + "; exit 0")


def attach_command(
    name: str, *, job: str, node: str, create: bool, cols: int = 80, rows: int = 24
) -> str:
    """The PTY command: attach to our session `name`, made first when `create` and missing.

    It exits with `EXIT_NO_TMUX`, `EXIT_FOREIGN` or `EXIT_GONE` instead of attaching to
    anything clusterdeck did not make.
    """
    target = _exact(name)
    options = _session(name)
    make = (
        f"tmux new-session -d -s {shlex.quote(name)} -x {max(cols, 1)} -y {max(rows, 1)} "
        rf"\; set-option -t {options} {MARKER} 1 "
        rf"\; set-option -t {options} {MARKER}_job {shlex.quote(safe_value(job))} "
        rf"\; set-option -t {options} {MARKER}_node {shlex.quote(safe_value(node))} "
        f"|| exit {EXIT_GONE}"
    )
    missing = make if create else f"exit {EXIT_GONE}"
    parts = [
        "unset TMUX",
        f"command -v tmux >/dev/null 2>&1 || exit {EXIT_NO_TMUX}",
        f"if tmux has-session -t {target} 2>/dev/null; then :; else {missing}; fi",
        f"{_marked(name)} || exit {EXIT_FOREIGN}",
        f"exec tmux attach-session -t {target}",
    ]
    return _sh("; ".join(parts))


def _if_ours(name: str, action: str) -> str:
    return _sh(
        f"unset TMUX; {_marked(name)} || {{ echo 'not a clusterdeck session' >&2; exit 1; }}; "
        f"{action}"
    )


def kill_command(name: str) -> str:
    """Kill our session `name` (refused for a session without the marker)."""
    return _if_ours(name, f"tmux kill-session -t {_exact(name)}")


def rename_command(name: str, new: str) -> str:
    """Rename our session `name` to `new` (refused when `new` is taken)."""
    return _if_ours(
        name,
        f"tmux has-session -t {_exact(new)} 2>/dev/null && "
        f"{{ echo 'a session named {new} exists' >&2; exit 1; }}; "
        f"tmux rename-session -t {_exact(name)} {shlex.quote(new)}",
    )


def parse_sessions(lines: list[str]) -> list[RemoteSession]:
    """`list_sessions` output lines -> sessions (malformed lines are skipped)."""
    found = []
    for line in lines:
        fields = line.rsplit("|", len(_FIELDS) - 1)
        if len(fields) != len(_FIELDS) or not fields[0]:
            continue
        numbers = [int(f) if f.isdigit() else 0 for f in fields[4:]]
        found.append(RemoteSession(fields[0], fields[1] == "1", fields[2], fields[3], *numbers))
    return found


@dataclass(frozen=True)
class Probe:
    """What `probe_command` found on a node."""

    installed: bool
    """The multiplexer (tmux or screen) is there."""
    sessions: tuple[RemoteSession, ...] = ()
    capture: bytes = b""
    """The asked-for session's pane history (with colours), when it is ours."""

    def find(self, name: str) -> RemoteSession | None:
        """The session called `name`, if any (ours first: screen allows the same name twice)."""
        named = [s for s in self.sessions if s.name == name]
        return next((s for s in named if s.ours), named[0] if named else None)


def parse_probe(output: bytes) -> Probe:
    """Parse `probe_command`'s output."""
    head, _, capture = output.partition(b"--capture--\n")
    lines = head.decode("utf-8", "replace").splitlines()
    if not lines or lines[0].strip() not in ("tmux", "screen"):
        return Probe(installed=False)
    return Probe(True, tuple(parse_sessions(lines[1:])), capture)


@dataclass(frozen=True)
class Multiplexer:
    """The remote commands of one terminal multiplexer (see `TMUX`)."""

    program: str
    probe: Callable[[str | None], str]
    """`probe_command`: presence, sessions, and a session's history."""
    attach: Callable[..., str]
    """`attach_command`: the PTY command that attaches (or makes) a session."""
    kill: Callable[[str], str]
    rename: Callable[[str, str], str]


TMUX = Multiplexer("tmux", probe_command, attach_command, kill_command, rename_command)


class RemoteSessions:
    """Lists, renames and kills clusterdeck's sessions on nodes, through the pool.

    Args:
        pool: Runs the commands.
        mux: tmux (`TMUX`) or screen (`tui.core.ssh.persistent_screen.SCREEN`).
    """

    def __init__(self, pool: SshPool, mux: Multiplexer = TMUX) -> None:
        self.pool = pool
        self.mux = mux

    async def probe(self, target: SshTarget, name: str | None = None) -> Probe:
        """tmux's presence and sessions on `target` (and `name`'s history when ours).

        Raises:
            SshError: the node cannot be reached.
        """
        result = await self.pool.run(
            target, self.mux.probe(name), timeout=LIST_TIMEOUT, binary=True
        )
        return parse_probe(result.stdout)

    async def ours(self, target: SshTarget) -> list[RemoteSession]:
        """clusterdeck's sessions on `target` (none when the multiplexer is missing)."""
        return [s for s in (await self.probe(target)).sessions if s.ours]

    async def kill(self, target: SshTarget, name: str) -> None:
        """End our session `name` on `target`.

        Raises:
            SshError: unreachable, or the session is not ours (or gone).
        """
        await self._checked(target, self.mux.kill(name), f"kill the session {name}")

    async def rename(self, target: SshTarget, name: str, new: str) -> None:
        """Rename our session `name` to `new` on `target`."""
        if not valid_name(new):
            raise SshError(
                f"{new!r} is not a session name: use letters, digits, '_' and '-' (1-64)",
                title="Rename refused",
            )
        await self._checked(target, self.mux.rename(name, new), f"rename {name}")

    async def _checked(self, target: SshTarget, command: str, doing: str) -> None:
        result = await self.pool.run(target, command, timeout=LIST_TIMEOUT)
        if result.status != 0:
            why = result.stderr.strip() or f"exit status {result.status}"
            raise SshError(f"cannot {doing} on {target}: {why}", title=self.mux.program)
