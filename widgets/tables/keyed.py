"""A DataTable that updates rows by key, so the cursor and scroll survive every refresh."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Cell = str | Text

TONES = ("active", "ok", "waiting", "error", "muted")
"""Row tones; each styles cells through the component class `keyed-table--<tone>`."""


class KeyedRowMessage(Message):
    """Base of the row messages: the row's `key` and the table that posted it."""

    def __init__(self, table: KeyedTable, key: str) -> None:
        super().__init__()
        self.table = table
        """The table that posted the message."""
        self.key = key
        """The key of the row."""

    @property
    def control(self) -> KeyedTable:
        """Alias of `table` (for `@on(..., "#id")` selectors)."""
        return self.table


class KeyedTable(DataTable[Cell]):
    """Base for tables whose rows carry a stable key (job id, node name).

    Subclasses add their columns and call `sync_rows` with the full, ordered list of rows.
    Unchanged rows are left alone, changed cells are updated in place, and when rows come or
    go the table is rebuilt with the cursor kept on the same key. Posts `RowHighlighted` and
    `RowChosen` (every subclass posts the same two: tell tables apart with `#id` selectors).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"keyed-table--{tone}" for tone in TONES}
    """
    | Class | Description |
    | :- | :- |
    | `keyed-table--active` | Running, or in use. |
    | `keyed-table--ok` | Completed, or ready. |
    | `keyed-table--waiting` | Queued, starting, reconnecting, or a warning. |
    | `keyed-table--error` | Failed, down or broken. |
    | `keyed-table--muted` | Stopped, closed or unknown. |
    """

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        background: $surface;
        &:focus { background-tint: $foreground 3%; }
        & > .keyed-table--active { color: $success; text-style: bold; }
        & > .keyed-table--ok { color: $primary; }
        & > .keyed-table--waiting { color: $warning; }
        & > .keyed-table--error { color: $error; text-style: bold; }
        & > .keyed-table--muted { color: $text-muted; }
    }
    """

    class RowHighlighted(KeyedRowMessage):
        """The cursor moved to a row."""

    class RowChosen(KeyedRowMessage):
        """Enter was pressed on a row, or the highlighted row was clicked."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._order: list[str] = []
        self._cells: dict[str, tuple[Cell, ...]] = {}

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    @property
    def row_keys(self) -> list[str]:
        """Keys of the rows in display order."""
        return list(self._order)

    def tone_style(self, tone: str) -> Style:
        """The style of `tone`'s component class (an unknown tone is `muted`)."""
        name = tone if tone in TONES else "muted"
        return self.get_component_rich_style(f"keyed-table--{name}", partial=True)

    def rebuild(self) -> None:
        """Make the next `sync_rows` redraw every row (after the columns changed)."""
        self._order = []

    def select_key(self, key: str) -> bool:
        """Move the cursor to `key`. Returns False when no such row exists."""
        if key not in self._cells:
            return False
        self.move_cursor(row=self._order.index(key))
        return True

    def sync_rows(self, rows: Sequence[tuple[str, tuple[Cell, ...]]]) -> None:
        """Show exactly `rows` (key, cells), in order, keeping the cursor on its key.

        A key given twice is shown once, as its first row (a provider may list a job twice).
        """
        if len({key for key, _ in rows}) < len(rows):
            unique: dict[str, tuple[Cell, ...]] = {}
            for key, cells in rows:
                unique.setdefault(key, cells)
            rows = list(unique.items())
        keys = [key for key, _ in rows]
        if keys == self._order:
            for key, cells in rows:
                old = self._cells[key]
                if old == cells:
                    continue
                for column, (before, after) in zip(
                    self.columns, zip(old, cells, strict=True), strict=False
                ):
                    if before != after:
                        # Widen the column only when needed: measuring is not free, and
                        # narrowing would make the table jump.
                        wider = len(str(after)) > len(str(before))
                        self.update_cell(key, column, after, update_width=wider)
                self._cells[key] = cells
            return
        cursor_key = self.cursor_key
        scroll_y = self.scroll_y
        self.clear()
        self._order = keys
        self._cells = {}
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._cells[key] = cells
        if cursor_key in self._cells:
            self.move_cursor(row=keys.index(cursor_key), animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False, immediate=True)

    async def _on_idle(self, event: events.Idle) -> None:
        """Column widths are measured here (by DataTable); drop lines drawn at the old widths.

        DataTable clears its line cache after measuring only for auto-height rows, so a table
        painted before its first measurement kept header-wide, truncated cells on screen.
        """
        before = [column.content_width for column in self.columns.values()]
        await super()._on_idle(event)
        if before != [column.content_width for column in self.columns.values()]:
            self._clear_caches()

    def key_at(self, row_key: Any) -> str | None:
        """The string key for a DataTable `RowKey` (from a DataTable event)."""
        try:
            value = row_key.value
        except (AttributeError, RowDoesNotExist):
            return None
        return value if isinstance(value, str) else None

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.RowHighlighted(self, key))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self.key_at(event.row_key)
        if key is not None:
            self.post_message(self.RowChosen(self, key))
