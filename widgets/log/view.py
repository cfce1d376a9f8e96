"""`LogView`: a live, bounded, searchable log viewer built on Textual's line API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.log.store import MAX_RENDER_CELLS, Finder, LogStore
from widgets.log.wrap import WrapIndex, row_at_cell, row_spans

CACHE_SIZE = 1024  # rendered strips kept (LRU)


class LogView(ScrollView, can_focus=True):
    """A live log viewer: bounded compact storage (`LogStore`), follow (tail) mode and search."""

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow", id="log-follow", tooltip="Follow the log on / off"),
        Binding("end", "resume_follow", "Tail", id="log-end", tooltip="Jump to the end and follow"),
        Binding(
            "n",
            "search_next",
            "Next match",
            id="log-search-next",
            show=False,
            tooltip="Next search match",
        ),
        Binding(
            "N",
            "search_next(True)",
            "Prev match",
            id="log-search-prev",
            show=False,
            tooltip="Previous search match",
        ),
        Binding("w", "toggle_wrap", "Wrap", id="log-wrap", tooltip="Wrap long lines on / off"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | f | log-follow | Toggle follow (tail) mode. |
    | end | log-end | Jump to the end and resume following. |
    | n / N | log-search-next / log-search-prev | Next / previous match of the last search. |
    | w | log-wrap | Wrap long lines instead of scrolling sideways. |
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-view--match"}
    """
    | Class | Description |
    | :- | :- |
    | `log-view--match` | Highlighted matches of the active search. |
    """
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $text;
        overflow: auto;
        &:focus { background-tint: $foreground 5%; }
        &.-wrap { scrollbar-gutter: stable; }
        & > .log-view--match { background: $warning 50%; color: $text; text-style: bold; }
    }
    """

    follow: reactive[bool] = reactive(True, init=False)
    """Keep the last line in view as lines arrive (`-paused` class when off)."""
    pending: reactive[int] = reactive(0, init=False)
    """Lines that arrived while not following."""
    wrap: reactive[bool] = reactive(False, init=False)
    """Wrap long lines over several rows (`-wrap` class; scroll positions are then rows)."""

    class TailChanged(Message):
        """Posted when `follow` or `pending` changes (newer ones replace queued ones)."""

        def __init__(self, log_view: LogView, follow: bool, pending: int) -> None:
            super().__init__()
            self.log_view = log_view
            """The `LogView` that posted the message."""
            self.follow = follow
            """Whether the view follows new lines."""
            self.pending = pending
            """Lines that arrived while paused."""

        @property
        def control(self) -> LogView:
            """Alias of `log_view`."""
            return self.log_view

        def can_replace(self, message: Message) -> bool:
            """A newer state of the same view supersedes this one."""
            return isinstance(message, LogView.TailChanged) and message.log_view is self.log_view

    def __init__(
        self,
        *,
        max_lines: int = 100_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create a LogView.

        Args:
            max_lines: Keep at most this many newest lines (>= 1).
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled.
        """
        self._store = LogStore(max_lines)
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._cache: LRUCache[tuple[int, int, int, int, int], Strip] = LRUCache(CACHE_SIZE)
        self._finder: Finder | None = None
        self._generation = 0  # part of cache keys; bumped when highlighting changes
        self._match: int | None = None  # global number of the current match
        self._quiet = 0  # > 0 while we scroll ourselves
        self._wrap_index = WrapIndex(self._store)

    @property
    def max_lines(self) -> int:
        """The most lines kept."""
        return self._store.max_lines

    @property
    def line_count(self) -> int:
        """Number of retained lines."""
        return self._store.line_count

    def get_line(self, index: int) -> str:
        """Return a retained line (0 is the oldest; negative counts from the end)."""
        if not -self.line_count <= index < self.line_count:
            raise IndexError("line index out of range")
        store = self._store
        return store.line(store.first + index % store.line_count)

    def tail(self, count: int) -> list[str]:
        """Return the newest `count` lines, oldest first."""
        store = self._store
        return [store.line(g) for g in range(max(store.first, store.next - count), store.next)]

    def write_lines(self, lines: Iterable[str]) -> None:
        """Append lines (sanitised), trim to `max_lines`, then scroll or count pending.

        Args:
            lines: Raw lines; never raises on odd content. One refresh per call.
        """
        batch = [x if isinstance(x, str) else str(x) for x in lines]
        if not batch:
            return
        top = self._top_line()
        added, dropped = self._store.append(batch)
        self._update_virtual_size()
        if self.follow:
            self._scroll_quietly(None, None)
        else:
            if dropped:  # keep the same lines in view
                self._scroll_to_line(*top)
            self.pending += added
        self.refresh()

    def clear(self) -> None:
        """Remove all lines and reset pending and the current match."""
        self._store.clear()
        self._match = None
        self._cache.clear()
        self.virtual_size = Size(0, 0)
        self.pending = 0
        self.refresh()

    def find_all(
        self, pattern: str, *, regex: bool = False, case_sensitive: bool = False
    ) -> list[int]:
        """Return the indexes of all retained lines matching `pattern` (view untouched).

        A literal search runs `str.find` over whole blocks; a bad regex raises `re.error`.
        """
        if not pattern:
            return []
        first = self._store.first
        return [g - first for g in self._store.find_all(Finder(pattern, regex, case_sensitive))]

    def search(
        self,
        pattern: str,
        *,
        backwards: bool = False,
        regex: bool = False,
        case_sensitive: bool = False,
    ) -> int | None:
        """Find the next (or previous) matching line, wrapping around, and show it.

        Starts after the current match of the same search, else from the viewport. Turns
        follow off and highlights matches of `pattern` in the visible lines.

        Returns:
            The line index (as for `get_line`) or `None` if nothing matches. A bad regex
            raises `re.error`.
        """
        if not pattern:
            return None
        finder = Finder(pattern, regex, case_sensitive)
        if self._finder is None or self._finder.key != finder.key:
            self._match = None
        self._finder, self._generation = finder, self._generation + 1
        self.refresh()
        first, end = self._store.first, self._store.next
        current = self._match if self._match is not None and self._match >= first else None
        if current is None:  # start from the viewport: its bottom row, or its top row
            height = self.scrollable_content_region.height
            top, bottom = self._top_line()[0], self._top_line(height - 1)[0] + 1
            current = bottom if backwards else top - 1
        start = min(max(current + (not backwards), first), end)
        ranges = [(first, start), (start, end)] if backwards else [(start, end), (first, start)]
        hits = (self._store.find(finder, lo, hi, backwards) for lo, hi in ranges)  # then wrap
        if (g := next((hit for hit in hits if hit is not None), None)) is None:
            return None
        self._match, self.follow = g, False
        region, line = self.scrollable_content_region, self._store.line(g)[:MAX_RENDER_CELLS]
        m = finder.regex.search(line)
        col, x = cell_len(line[: m.start()]) if m else 0, self.scroll_offset.x
        if self.wrap:  # the match's row a third of the way down
            index = self._wrap_index
            row = index.row_of(g) + row_at_cell(line, index.width, col)
            self._scroll_quietly(0, max(0, row - region.height // 3))
            return g - first
        new_x = x if x <= col < x + region.width - 2 else max(0, col - region.width // 2)
        self._scroll_quietly(new_x, max(0, g - first - region.height // 3))
        return g - first

    def clear_search(self) -> None:
        """Drop the active search and its highlighting."""
        self._finder, self._match, self._generation = None, None, self._generation + 1
        self.refresh()

    def _scroll_quietly(self, x: float | None, y: float | None) -> None:
        """Scroll without the watcher taking it for the user; `y=None` means the end."""
        if not self.is_mounted:
            return
        self._quiet += 1
        try:
            if y is None:
                self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
            else:
                self.scroll_to(x, y, animate=False, immediate=True, force=True)
        finally:
            self._quiet -= 1

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Pause following when the user scrolls up; resume when they reach the end."""
        super().watch_scroll_y(old_value, new_value)
        # Textual moves the thumb only while the scrollbar shows; a forced scroll right after
        # `clear()` happens before it does, which left the thumb at the top.
        self.vertical_scrollbar.position = new_value
        if not self._quiet and new_value != old_value:
            at_end = new_value >= self.max_scroll_y
            if new_value < old_value and not at_end:
                self.follow = False
            elif new_value > old_value and at_end:
                self.follow = True

    def watch_follow(self, follow: bool) -> None:
        """Reset pending and jump to the end when following resumes."""
        self.set_class(not follow, "-paused")
        if follow:
            self.pending = 0
            # Scrolling to where the view already is would stop a running scroll animation
            # from inside its own step (the user scrolled down to the end): Textual fails then.
            if self.scroll_offset.y < self.max_scroll_y:
                self._scroll_quietly(None, None)
        self.post_message(self.TailChanged(self, follow, self.pending))

    def watch_pending(self, pending: int) -> None:
        """Report the new pending count."""
        self.post_message(self.TailChanged(self, self.follow, pending))

    def action_toggle_follow(self) -> None:
        """Toggle follow mode."""
        self.follow = not self.follow

    def action_resume_follow(self) -> None:
        """Jump to the end and follow."""
        self.follow = True
        self._scroll_quietly(None, None)

    def action_search_next(self, backwards: bool = False) -> None:
        """Repeat the last search (forwards unless `backwards`)."""
        if self._finder is not None:
            pattern, regex, case = self._finder.key
            self.search(pattern, backwards=backwards, regex=regex, case_sensitive=case)

    def action_toggle_wrap(self) -> None:
        """Toggle wrapping of long lines."""
        self.wrap = not self.wrap

    def watch_wrap(self, wrap: bool) -> None:
        """Keep the same top line in view (or the end, while following)."""
        line, _ = self._top_line(wrapped=not wrap)
        self.set_class(wrap, "-wrap")
        self._cache.clear()
        self._update_virtual_size()
        if self.follow:
            self._scroll_quietly(0, None)
        else:
            self._scroll_to_line(line, 0)
        self.refresh()

    def _top_line(self, y: int = 0, *, wrapped: bool | None = None) -> tuple[int, int]:
        """`(line, row within it)` on visible row `y` (past the end: the next line number)."""
        row, store = self.scroll_offset.y + y, self._store
        if self.wrap if wrapped is None else wrapped:
            index = self._wrap_index
            return index.line_at(row) if 0 <= row < index.total() else (store.next, 0)
        return min(store.first + row, store.next), 0

    def _scroll_to_line(self, g: int, part: int) -> None:
        """Scroll so that line `g` (its row `part`, when wrapping) is on the top row."""
        if g < self._store.first:  # trimmed: the oldest line from its start
            g, part = self._store.first, 0
        if self.wrap and g < self._store.next:
            self._scroll_quietly(0, self._wrap_index.row_of(g) + part)
        else:
            self._scroll_quietly(None, g - self._store.first)

    def _update_virtual_size(self) -> None:
        """Lines by their width; when wrapping, rows at the width of the view."""
        if not self.wrap:
            self.virtual_size = Size(self._store.width, self.line_count)
            return
        index, width = self._wrap_index, max(1, self.scrollable_content_region.width)
        if index.width != width:
            index.rebuild(width)
        else:
            index.catch_up()
        self.virtual_size = Size(0, index.total())

    def notify_style_update(self) -> None:
        """Drop rendered strips when styles (e.g. the theme) change."""
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        """Drop rendered strips and keep the end in view while following."""
        self._cache.clear()
        if self.wrap:
            top = self._top_line()
            self._update_virtual_size()
            if not self.follow:
                self._scroll_to_line(*top)
        if self.follow:
            self.call_after_refresh(self._scroll_quietly, None, None)

    def render_line(self, y: int) -> Strip:
        """Render one visible row (rendered strips are cached, LRU-bounded)."""
        scroll_x, scroll_y = self.scroll_offset
        region = self.scrollable_content_region
        width = region.width
        if self.wrap:
            g, part = self._top_line(y)
        else:
            g, part = self._store.first + scroll_y + y, -1
        if g >= self._store.next:
            return Strip.blank(width, self.rich_style)
        key = (g, part, scroll_x, width, self._generation)
        strip = self._cache.get(key)
        if strip is None:
            text = self._store.line(g)
            start, end = (scroll_x, scroll_x + width) if part < 0 else row_spans(text, width)[part]
            strip = self._render_strip(text, start, end).extend_cell_length(width, self.rich_style)
            self._cache[key] = strip
        return strip

    def _render_strip(self, text: str, start: int, end: int) -> Strip:
        text, base, pos = text[:MAX_RENDER_CELLS], self.rich_style, 0
        segments: list[Segment] = []
        if self._finder is not None:
            match_style = base + self.get_component_rich_style("log-view--match")
            for a, b in (m.span() for m in self._finder.regex.finditer(text)):
                if a < b:
                    segments += [Segment(text[pos:a], base), Segment(text[a:b], match_style)]
                    pos = b
        segments.append(Segment(text[pos:], base))
        return Strip(segments).crop_extend(start, end, base)
