"""The keys table: SSH keys from files and the agent, unsafe or broken ones in colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from widgets.tables.columns import Column
from widgets.tables.keyed import KeyedTable

NAME_WIDTH = 16
COMMENT_WIDTH = 12


class KeyRow(NamedTuple):
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


class KeyTable(KeyedTable[KeyRow]):
    """SSH keys: unsafe permissions in the `waiting` tone, broken keys in the `error` tone.

    Posts `RowHighlighted`, and `RowChosen` on enter (show the key).
    """

    DEFAULT_CSS = """
    KeyTable {
        & > .keyed-table--waiting { text-style: bold; }
        & > .keyed-table--error { text-style: none; }
    }
    """

    def keyed_columns(self) -> list[Column[KeyRow]]:
        return [
            Column("name", "Key", lambda row: Text(_clip(row.name, NAME_WIDTH))),
            Column("kind", "Type", lambda row: Text(row.kind)),
            Column("fingerprint", "SHA256 fingerprint", self._fingerprint_cell),
            Column(
                "comment", "Comment", lambda row: Text(_clip(row.comment, COMMENT_WIDTH), "dim")
            ),
            Column("passphrase", "Passphrase", lambda row: Text(row.passphrase)),
            Column("permissions", "Permissions", self._permissions_cell),
        ]

    def update_keys(self, rows: Sequence[KeyRow]) -> None:
        """Show `rows` in order, keeping the cursor on the same key."""
        self.sync_rows(rows)

    def _fingerprint_cell(self, row: KeyRow) -> Text:
        return Text(row.fingerprint, style=self.tone_style("error") if row.broken else "")

    def _permissions_cell(self, row: KeyRow) -> Text:
        unsafe = "" if row.permissions_safe else self.tone_style("waiting")
        return Text(row.permissions, style=unsafe)
