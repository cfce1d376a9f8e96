"""The keys table: SSH keys from files and the agent, unsafe or broken ones in colour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from widgets.tables.keyed import KeyedTable

NAME_WIDTH = 16
COMMENT_WIDTH = 12


@dataclass(frozen=True)
class KeyRow:
    """What the table shows for one key."""

    key: str
    name: str
    """The file name, or `agent` for a key held by the SSH agent."""
    kind: str = ""
    """Type and size, e.g. `ED25519 256`."""
    fingerprint: str = ""
    """The SHA256 fingerprint without its `SHA256:` prefix, or a problem when `broken`."""
    comment: str = ""
    passphrase: str = ""
    """`yes`, `no`, `agent` or empty when unknown."""
    permissions: str = ""
    """E.g. `600 ok` or `644 open`."""
    permissions_safe: bool = True
    broken: bool = False


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class KeyTable(KeyedTable):
    """SSH keys: unsafe permissions in the `waiting` tone, broken keys in the `error` tone.

    Posts `RowHighlighted`, and `RowChosen` on enter (show the key).
    """

    DEFAULT_CSS = """
    KeyTable {
        & > .keyed-table--waiting { text-style: bold; }
        & > .keyed-table--error { text-style: none; }
    }
    """

    def on_mount(self) -> None:
        self.add_column("Key", key="name")
        self.add_column("Type", key="kind")
        self.add_column("SHA256 fingerprint", key="fingerprint")
        self.add_column("Comment", key="comment")
        self.add_column("Passphrase", key="passphrase")
        self.add_column("Permissions", key="permissions")

    def update_keys(self, rows: Sequence[KeyRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same key."""
        self.sync_rows([(row.key, self._cells_for(row)) for row in rows])

    def _cells_for(self, row: KeyRow) -> tuple[Text, ...]:
        unsafe, broken = self.tone_style("waiting"), self.tone_style("error")
        return (
            Text(_clip(row.name, NAME_WIDTH)),
            Text(row.kind),
            Text(row.fingerprint, style=broken if row.broken else ""),
            Text(_clip(row.comment, COMMENT_WIDTH), style="dim"),
            Text(row.passphrase),
            Text(row.permissions, style="" if row.permissions_safe else unsafe),
        )
