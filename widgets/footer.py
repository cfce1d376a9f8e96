"""`KeyFooter`: Textual's footer that keeps a few keys in view on narrow terminals."""

from __future__ import annotations

from collections.abc import Collection

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """A `Footer` that, below `narrow` columns, turns compact and shows the bindings whose
    action is in `keep` (say quit and help) first, so they are never scrolled out of view."""

    def __init__(
        self,
        *,
        keep: Collection[str] = ("quit", "help"),
        narrow: int = 80,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the footer.

        Args:
            keep: Actions (as in `Binding.action`) shown first when the terminal is narrow
                (default: the app's quit and help).
            narrow: Below this many columns the footer is compact and `keep` goes first.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.keep = frozenset(keep)
        self.narrow = narrow
        self._is_narrow = False

    def _narrow_now(self) -> bool:
        return self.app.size.width < self.narrow

    def compose(self) -> ComposeResult:
        self._is_narrow = self._narrow_now()
        self.set_reactive(Footer.compact, self._is_narrow)
        self.set_class(self._is_narrow, "-compact")
        keys = list(super().compose())
        if self._is_narrow:
            first = [k for k in keys if isinstance(k, FooterKey) and k.action in self.keep]
            keys = first + [k for k in keys if k not in first]
        yield from keys

    def on_resize(self, event: events.Resize) -> None:
        if self._narrow_now() != self._is_narrow:
            self.call_after_refresh(self.recompose)
