"""The transfers list: newest first, one `TransferItem` per transfer; the focused one is chosen."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import VerticalScroll

from widgets.transfers.item import TransferItem, TransferLine


class TransferList(VerticalScroll, can_focus=False):
    """Shows `TransferLine`s; `chosen` is the focused row's key (else the first row's)."""

    DEFAULT_CSS = """
    TransferList {
        height: auto;
        max-height: 8;
        border: round $panel;
        &.-empty { display: none; }
    }
    """

    def show(self, lines: Sequence[TransferLine]) -> None:
        """Show exactly `lines`, in order (rows are updated in place, added and removed)."""
        items = {item.key: item for item in self.query(TransferItem)}
        keys = [line.key for line in lines]
        for key, item in items.items():
            if key not in keys:
                item.remove()
        for index, line in enumerate(lines):
            existing = items.get(line.key)
            if existing is None:
                item = TransferItem(line)
                before = next((items[k] for k in keys[index + 1 :] if k in items), None)
                self.mount(item, before=before)
                items[line.key] = item
            else:
                existing.show(line)
        self.set_class(not lines, "-empty")

    @property
    def chosen(self) -> str | None:
        """The key of the focused transfer, else of the first (newest) one."""
        focused = self.app.focused
        if isinstance(focused, TransferItem) and focused.parent is self:
            return focused.key
        first = next(iter(self.query(TransferItem)), None)
        return first.key if first is not None else None
