"""Host blocks of an OpenSSH client config, rendered from checked values.

Node names, addresses and user names come from the cluster (the network): a space, a quote, a
`#` or a line break in them would add options to the user's ssh config (a `ProxyCommand`
runs a program). So aliases are made of safe characters only, and other values are refused
unless they are plain; `%` (ssh's token character) is doubled where ssh expands tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import ClusterdeckError

ALIAS_PREFIX = "clusterdeck"
PLAIN = re.compile(r"[A-Za-z0-9._:@\[\]+=/,~-]+")
"""What a HostName, User or path may be made of (paths may also hold spaces: quoted)."""
ALIAS_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
TOKEN_OPTIONS = frozenset(
    {"HostName", "IdentityFile", "UserKnownHostsFile", "RemoteCommand", "ProxyCommand", "User"}
)
"""Options whose value ssh expands `%` tokens in (so a literal `%` is written `%%`)."""
BEGIN = "# >>> clusterdeck {alias} >>>"
END = "# <<< clusterdeck {alias} <<<"


class SshConfigError(ClusterdeckError):
    """A Host block cannot be made (a value that is not safe to write, no address yet)."""

    title = "SSH config"


def alias_for(*parts: str) -> str:
    """`clusterdeck-<part>-<part>...`, every run of unsafe characters made one `-`."""
    cleaned = [ALIAS_UNSAFE.sub("-", part).strip("-.") for part in parts]
    return "-".join([ALIAS_PREFIX, *(part for part in cleaned if part)])


def plain_value(name: str, value: str) -> str:
    """`value` when it is safe to write as `name`'s value, else SshConfigError."""
    if not PLAIN.fullmatch(value) or value.startswith("-"):
        raise SshConfigError(
            f"refusing to write {name} {value!r} into an ssh config: it holds characters "
            "that ssh would read as more options"
        )
    return value


def path_value(path: Path | str) -> str:
    """A file path for ssh: quoted when it has spaces; quotes and controls are refused."""
    text = str(path)
    if any(c in text for c in '"#\\') or not text.isprintable():
        raise SshConfigError(f"refusing to write the path {text!r} into an ssh config")
    return f'"{text}"' if " " in text else text


@dataclass(frozen=True)
class HostBlock:
    """One `Host ALIAS` block: options in order, with a comment line above it."""

    alias: str
    options: tuple[tuple[str, str], ...]
    comment: str = ""

    def option(self, name: str) -> str | None:
        """The value of option `name`, if the block sets it."""
        return next((v for k, v in self.options if k == name), None)

    def render(self) -> str:
        """The block between clusterdeck's markers (what `write` replaces later)."""
        lines = [BEGIN.format(alias=self.alias)]
        if self.comment:
            lines += [f"# {line}" for line in self.comment.splitlines()]
        lines.append(f"Host {self.alias}")
        for name, value in self.options:
            lines.append(
                f"    {name} {value.replace('%', '%%') if name in TOKEN_OPTIONS else value}"
            )
        lines.append(END.format(alias=self.alias))
        return "\n".join(lines) + "\n"


def render_blocks(blocks: list[HostBlock]) -> str:
    """Several blocks, each once (a jump host shared by two nodes is written once)."""
    seen: dict[str, HostBlock] = {}
    for block in blocks:
        seen.setdefault(block.alias, block)
    return "\n".join(block.render() for block in seen.values())
