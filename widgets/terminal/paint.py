"""Put a terminal view's dirty rows on the screen now, not at Textual's next 60 Hz tick.

`Widget.refresh` asks Textual for a repaint that lands on the screen's next update tick, up to
1/60 s later (8 ms on average), which is most of a keystroke's echo time. For a small output
(an echo, a prompt) the view instead does at once what that tick would do. It uses two private
members of Textual's `Screen` (textual is pinned to 8.2.x in pyproject.toml); when they are
missing, or the screen is not current, nothing happens and the normal tick paints.
"""

from __future__ import annotations

from textual.widget import Widget


def paint_now(widget: Widget) -> bool:
    """Composite and write `widget`'s pending repaint now; False when left to the next tick."""
    try:
        screen = widget.screen
    except Exception:  # not mounted (NoScreen) or shutting down
        return False
    dirty: set[Widget] | None = getattr(screen, "_dirty_widgets", None)
    update = getattr(screen, "_on_timer_update", None)
    if dirty is None or update is None or not screen.is_current or widget.app._batch_count:
        return False
    widget._repaint_required = False  # this paint is the one `refresh` asked for
    dirty.add(widget)
    update()
    return True
