"""Persistent shells in GNU screen, for nodes without tmux (`persistent = "screen"`).

screen has no session options, so clusterdeck's marker is a file per session on the node,
`${XDG_CACHE_HOME:-~/.cache}/clusterdeck/screen/<pid>.<name>` holding the job and node: a
session is ours only when such a file names its pid and name, so a user's own session of the
same name (another pid) is never attached, renamed or killed. Sessions are addressed by
`<pid>.<name>`. The history comes from `hardcopy -h` (text, without colours).
"""

from __future__ import annotations

import shlex

from tui.core.ssh.persistent import (
    EXIT_FOREIGN,
    EXIT_GONE,
    EXIT_NO_TMUX,
    HISTORY_LINES,
    TMUX,
    Multiplexer,
    PersistMode,
    safe_value,
)

_DIR = 'D="${XDG_CACHE_HOME:-$HOME/.cache}/clusterdeck/screen"'
_LIST = "screen -ls 2>/dev/null | tr -d '\\r' | sed -n " + shlex.quote(
    r"s/^[[:space:]]*\([0-9][0-9]*\.[^[:space:]]*\)[[:space:]].*(\([A-Za-z]*\))$/\1 \2/p"
)
"""Lines `<pid>.<name> <Attached|Detached|Multi>` of `screen -ls`."""


def _sh(script: str) -> str:
    return f"sh -c {shlex.quote(script)}"


def _ours(name: str) -> str:
    """Sets `id` to our live session called `name` (`<pid>.<name>`), or to ""."""
    return (
        f'id=""; for f in "$D"/*.{shlex.quote(name)}; do [ -f "$f" ] || continue; '
        "i=${f##*/}; if "
        f'{_LIST} | cut -d" " -f1 | grep -qxF "$i"; then id=$i; else rm -f "$f"; fi; done'
    )


def probe_command(name: str | None) -> str:
    """As tmux's: `screen` or `notmux`, session lines, then `--capture--` and the history
    (`hardcopy -h`: the sessions keep `HISTORY_LINES` lines)."""
    parts = [
        "command -v screen >/dev/null 2>&1 || { echo notmux; exit 0; }",
        "echo screen",
        _DIR,
        f'for f in "$D"/*; do [ -f "$f" ] || continue; {_LIST} | cut -d" " -f1 | '
        'grep -qxF "${f##*/}" || rm -f "$f"; done',  # markers of sessions that are gone
        f"{_LIST} | while read -r i state; do n=${{i#*.}}; m=0; j=; o=; "
        'if [ -f "$D/$i" ]; then m=1; read -r j o < "$D/$i"; fi; '
        'a=0; [ "$state" = Detached ] || a=1; echo "$n|$m|$j|$o|$a|0|0"; done',
    ]
    if name is not None:
        parts += [
            "echo --capture--",
            _ours(name),
            'if [ -n "$id" ]; then t=$(mktemp); '
            'screen -S "$id" -X hardcopy -h "$t"; k=0; '
            'while [ ! -s "$t" ] && [ $k -lt 40 ]; do sleep 0.05; k=$((k+1)); done; '
            'sed -e "/^[[:space:]]*$/d" "$t"; rm -f "$t"; fi',
        ]
    return _sh("; ".join(parts) + "; exit 0")


def attach_command(
    name: str, *, job: str, node: str, create: bool, cols: int = 80, rows: int = 24
) -> str:
    """The PTY command: `screen -x` our session `name`, made first when `create` and missing."""
    quoted = shlex.quote(name)
    make = (
        f"before=$({_LIST} | cut -d' ' -f1); "
        f"screen -h {HISTORY_LINES} -dmS {quoted} || exit {EXIT_GONE}; "
        f"id=$({_LIST} | cut -d' ' -f1 | grep -x "
        f'"[0-9]*\\.{name}" | grep -vxF "$before" | head -n 1); '
        f'[ -n "$id" ] || exit {EXIT_GONE}; '
        f'echo {shlex.quote(safe_value(job))} {shlex.quote(safe_value(node))} > "$D/$id"'
    )
    missing = make if create else f"exit {EXIT_GONE}"
    parts = [
        f"command -v screen >/dev/null 2>&1 || exit {EXIT_NO_TMUX}",
        _DIR,
        '(umask 077; mkdir -p "$D")',
        _ours(name),
        f'if [ -z "$id" ]; then {missing}; fi',
        f'[ -n "$id" ] || exit {EXIT_FOREIGN}',
        'exec screen -x "$id"',
    ]
    return _sh("; ".join(parts))


def _if_ours(name: str, action: str) -> str:
    return _sh(
        f"{_DIR}; {_ours(name)}; "
        "[ -n \"$id\" ] || { echo 'not a clusterdeck session' >&2; exit 1; }; " + action
    )


def kill_command(name: str) -> str:
    """Quit our session `name` and drop its marker."""
    return _if_ours(name, 'screen -S "$id" -X quit; rm -f "$D/$id"')


def rename_command(name: str, new: str) -> str:
    """Rename our session `name` to `new` (its marker follows)."""
    return _if_ours(
        name,
        f'screen -S "$id" -X sessionname {shlex.quote(new)} && '
        f'mv "$D/$id" "$D/${{id%%.*}}".{shlex.quote(new)}',
    )


SCREEN = Multiplexer("screen", probe_command, attach_command, kill_command, rename_command)


def multiplexer_for(mode: PersistMode) -> Multiplexer:
    """screen for `persistent = "screen"`, else tmux (auto and tmux)."""
    return SCREEN if mode == "screen" else TMUX
