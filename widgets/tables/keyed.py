"""A DataTable that updates rows by key, in O(changes): cursor and scroll survive every refresh.

A table is built from three things (the extension points):

- a row model: an immutable value with a `key: str`, compared with `==` (the tables here use a
  `NamedTuple`, whose comparison runs in C: an unchanged row costs about 0.1 µs);
- `keyed_columns()`: one `Column(key, label, cell)` (`widgets/tables/columns.py`) per column,
  in order, where `cell(row)` builds that column's cell (a `str` or a rich `Text`) from a row.
  A new column is one more entry in that list and, when it shows something new, one more
  field in the row model;
- `sync_rows(rows)`: the full, ordered list of rows, as often as the data is polled.

`sync_rows` costs O(rows) only in comparisons done in C, and O(changes) in everything else: an
identical list returns at once; a row whose model is unchanged is not looked at again; a
changed row has its cells built and only the cells that differ are updated; rows that come or
go are added and removed where they stand, and the order is set once (no rebuild). Changed
cells go straight into DataTable's data and only their lines are repainted; the layout (row
order and line offsets) is cached until rows come, go or move, so painting after a change does
not walk every row as a bare DataTable does. Rows are one line high. This reaches into
DataTable's internals (`_data`, `rows`, `_row_locations`, its render caches): Textual is pinned
to a minor version, and tests/widgets/test_tables.py checks what is painted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import attrgetter, ne
from typing import Any, ClassVar, Generic, Self

from rich.style import Style
from textual import events, on
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, Row, RowDoesNotExist, RowKey

from widgets.tables.columns import Cell, Column, RowT, same_cell

_key_of = attrgetter("key")
_height_of = attrgetter("height")

TONES = ("active", "ok", "waiting", "error", "muted")
"""Row tones; each styles cells through the component class `keyed-table--<tone>`."""


class KeyedRowMessage(Message):
    """Base of the row messages: the row's `key` and the table that posted it."""

    def __init__(self, table: KeyedTable[Any], key: str) -> None:
        super().__init__()
        self.table = table
        """The table that posted the message."""
        self.key = key
        """The key of the row."""

    @property
    def control(self) -> KeyedTable[Any]:
        """Alias of `table` (for `@on(..., "#id")` selectors)."""
        return self.table


class KeyedTable(DataTable[Cell], Generic[RowT]):
    """Base for tables whose rows carry a stable key; see the module docstring.

    Subclasses give `keyed_columns()` and call `sync_rows` with the full, ordered list of rows.
    The cursor stays on its key across refreshes. Posts `RowHighlighted` and `RowChosen` (every
    subclass posts the same two: tell tables apart with `#id` selectors).
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
        self._row_layout: (
            tuple[TwoWayDict[RowKey, int], int, list[Row], list[tuple[RowKey, int]]] | None
        ) = None
        self._keyed_columns: list[Column[RowT]] = []
        self._rows: list[RowT] = []
        """The rows shown, in order (compared whole first: a poll that changes nothing)."""
        self._order: list[str] = []
        self._by_key: dict[str, RowT] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._row_key: dict[str, RowKey] = {}
        """DataTable's key object of each row (a `RowKey` hashes in Python: reuse them)."""
        self._row_meta: dict[str, Row] = {}
        """DataTable's `Row` of each row, by our key."""
        self._placed: TwoWayDict[RowKey, int] | None = None
        """DataTable's row index when it was last set to `_order` (then `_order` is the layout)."""
        self._tone_styles: dict[str, Style] = {}
        # (Set before DataTable's __init__, whose watchers already read the layout.)
        super().__init__(name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=False)

    # --- what subclasses give -------------------------------------------------------------

    def keyed_columns(self) -> Sequence[Column[RowT]]:
        """The columns, in order (called once, when the table is mounted)."""
        return ()

    @on(events.Mount)
    def _add_keyed_columns(self) -> None:
        self._keyed_columns = list(self.keyed_columns())
        for column in self._keyed_columns:
            self.add_column(column.label, key=column.key)

    def cells_for(self, row: RowT) -> tuple[Cell, ...]:
        """The cells of `row`, one per column."""
        return tuple([column.cell(row) for column in self._keyed_columns])

    # --- reading ------------------------------------------------------------------------------

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
        style = self._tone_styles.get(tone)
        if style is None:
            name = tone if tone in TONES else "muted"
            style = self.get_component_rich_style(f"keyed-table--{name}", partial=True)
            self._tone_styles[tone] = style
        return style

    def notify_style_update(self) -> None:
        self._tone_styles.clear()
        super().notify_style_update()

    def select_key(self, key: str) -> bool:
        """Move the cursor to `key`. Returns False when no such row exists."""
        if key not in self._cells:
            return False
        self.move_cursor(row=self._order.index(key))
        return True

    # --- updating -------------------------------------------------------------------------

    def sync_rows(self, rows: Sequence[RowT]) -> None:
        """Show exactly `rows`, in order, keeping the cursor on its key.

        A key given twice is shown once, as its first row (a provider may list a job twice).
        """
        # The loops over every row run in C (map, compress): a Python loop over 10,000 rows
        # alone would cost a few milliseconds per refresh.
        rows = list(rows)
        if rows == self._rows:
            return
        keys = list(map(_key_of, rows))
        if keys != self._order and len(set(keys)) < len(keys):  # (`_order` has no duplicate)
            unique: dict[str, RowT] = {}
            for row in rows:
                unique.setdefault(row.key, row)
            rows, keys = list(unique.values()), list(unique)
        if keys == self._order:
            moved = compress(range(len(rows)), map(ne, rows, self._rows))
            changed = [index for index in moved if self._update_row(rows[index])]
            self._rows = rows
            if changed:
                self._cells_written()
                self._repaint_rows(changed)
            return
        self._change_rows(rows, keys)

    def _update_row(self, row: RowT) -> bool:
        """Write the cells of a row whose model changed; whether any of them looks different.

        The cells go straight into DataTable's data: `update_cell` would count an update, which
        makes DataTable render every visible line again (its caches are keyed by that count).
        """
        key = row.key
        old, cells = self._cells[key], self.cells_for(row)
        self._cells[key], self._by_key[key] = cells, row
        row_key = self._row_key[key]
        data = self._data[row_key]
        written = False
        for column, before, after in zip(self._keyed_columns, old, cells, strict=True):
            if not same_cell(before, after):
                data[ColumnKey(column.key)] = after
                written = True
                # Widen the column only when needed: measuring is not free, and narrowing
                # would make the table jump.
                if len(str(after)) > len(str(before)):
                    self._updated_cells.add(CellKey(row_key, ColumnKey(column.key)))
                    self._require_update_dimensions = True
        return written

    def _cells_written(self) -> None:
        """Forget DataTable's rendered cells and lines, so no stale one is drawn again.

        (Not `_clear_caches`: that also drops the widget's own painted lines, and every visible
        line would be rendered again.)
        """
        for cache in (
            self._row_render_cache,
            self._cell_render_cache,
            self._row_renderable_cache,
            self._line_cache,
        ):
            cache.clear()
        if self._require_update_dimensions:
            self.check_idle()

    def _repaint_rows(self, indices: list[int]) -> None:
        """Repaint the lines of the rows at `indices` that are on screen (rows are one line)."""
        header = self.header_height if self.show_header else 0
        top, width, height = int(self.scroll_y), self.size.width, self.size.height
        regions = [
            Region(0, line, width, 1)
            for line in (header + index - top for index in indices)
            if header <= line < height
        ]
        if regions:
            self.refresh(*regions)

    def _change_rows(self, rows: list[RowT], keys: list[str]) -> None:
        """Rows came, went or moved: remove, update and add them in place, then set the order."""
        cursor_key, scroll_y = self.cursor_key, self.scroll_y
        wanted = set(keys)
        gone = self._by_key.keys() - wanted
        kept = [key for key in self._order if key in wanted] if gone else list(self._order)
        if gone:
            self._drop(gone)
            self._place(kept)
        known = self._by_key.get
        changed = compress(rows, map(ne, rows, map(known, keys, rows)))  # new rows: themselves
        if any([self._update_row(row) for row in changed]):
            self._cells_written()
        added = (
            [row for row in rows if row.key not in self._by_key] if len(kept) < len(keys) else []
        )
        for row in added:
            cells = self.cells_for(row)
            row_key = super().add_row(*cells, key=row.key)
            self._row_key[row.key], self._row_meta[row.key] = row_key, self.rows[row_key]
            self._cells[row.key], self._by_key[row.key] = cells, row
        if kept + list(map(_key_of, added)) != keys:
            self._place(keys)
        self._order, self._rows = keys, rows
        self._placed = self._row_locations
        self._keep_cursor(cursor_key, scroll_y)

    def _drop(self, keys: Iterable[str]) -> None:
        """Forget rows in bulk (DataTable's `remove_row` re-indexes every row for each one)."""
        for key in keys:
            row_key = self._row_key.pop(key)
            del self._row_meta[key]
            for column_key in self._data.pop(row_key, {}):
                self._updated_cells.discard(CellKey(row_key, column_key))
            self.rows.pop(row_key, None)
            self._new_rows.discard(row_key)
            del self._cells[key], self._by_key[key]
        self._require_update_dimensions = True
        self.check_idle()

    def _place(self, keys: list[str]) -> None:
        """Put the rows in the order of `keys` (which are exactly the rows in the table)."""
        row_key = self._row_key
        self._row_locations = TwoWayDict({row_key[key]: i for i, key in enumerate(keys)})
        self._update_count += 1
        self.refresh()

    def _keep_cursor(self, key: str | None, scroll_y: float) -> None:
        """Put the cursor back on `key` (or at its place, when that row went), scroll unmoved."""
        if key is None or not self._order:
            return  # it was empty: add_row highlighted the first row
        if key in self._cells:
            index = self._order.index(key)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=False)
        else:
            before = self.cursor_coordinate
            self.cursor_coordinate = before  # clamped to the rows left (its watcher posts)
            now = self.cursor_key
            if self.cursor_coordinate == before and now is not None:
                self.post_message(self.RowHighlighted(self, now))
        if self.scroll_y != scroll_y:
            self.scroll_to(y=scroll_y, animate=False, immediate=True)

    # --- the layout cache -----------------------------------------------------------------

    def _layout(self) -> tuple[list[Row], list[tuple[RowKey, int]]]:
        """Rows in display order and the row of every line, until rows come, go or move.

        DataTable recomputes both on every change of any cell (they are keyed by its update
        count), walking every row; here they hang on the row index itself, which DataTable
        replaces whenever rows are removed or sorted, and `add_row` makes longer.
        """
        cache = self._row_layout
        if cache is None or cache[0] is not self._row_locations or cache[1] != len(self.rows):
            if self._row_locations is self._placed and len(self.rows) == len(self._order):
                ordered = list(map(self._row_meta.__getitem__, self._order))  # str keys: fast
            else:  # rows added or moved by DataTable's own methods
                by_index = self._row_locations._reverse
                ordered = [self.rows[by_index[i]] for i in range(len(self.rows))]
            heights = list(map(_height_of, ordered))
            if heights.count(1) == len(heights):  # ours: one line each, built in C
                offsets = list(zip(map(_key_of, ordered), repeat(0)))
            else:
                offsets = [(row.key, y) for row in ordered for y in range(row.height)]
            cache = self._row_layout = (self._row_locations, len(self.rows), ordered, offsets)
        return cache[2], cache[3]

    @property
    def ordered_rows(self) -> list[Row]:
        """The rows in display order."""
        return self._layout()[0]

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        return self._layout()[1]

    def clear(self, columns: bool = False) -> Self:
        self._rows, self._order, self._by_key, self._cells = [], [], {}, {}
        self._row_key, self._row_meta, self._placed = {}, {}, None
        return super().clear(columns)

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
