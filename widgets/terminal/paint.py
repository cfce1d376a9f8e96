"""Put a terminal view's dirty rows on the screen now, not at Textual's next 60 Hz tick.

`Widget.refresh` asks Textual for a repaint that lands on the screen's next update tick, up to
1/60 s later (8 ms on average), which is most of a keystroke's echo time. For a small output
(an echo, a prompt) the view instead composites its own dirty region and writes it at once,
as the tick would. It uses private members of Textual's compositor and screen (textual is
pinned to 8.2.x in pyproject.toml); other widgets waiting to be repainted keep waiting for the
tick. Whenever the screen has other work pending (a layout, a scroll, a full repaint,
`call_after_refresh` callbacks, a compositor map to rebuild from a DOM that may hold a widget
not laid out yet) or those members are missing, nothing happens here and the tick paints.
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget

_PENDING = ("_layout_required", "_scroll_required", "_recompose_required", "_repaint_required")


def paint_now(widget: Widget) -> bool:
    """Composite and write `widget`'s pending repaint now; False when left to the next tick."""
    try:
        screen: Any = widget.screen
        compositor = screen._compositor
        dirty: set[Widget] = screen._dirty_widgets
        busy = (
            any(getattr(screen, flag) for flag in _PENDING)
            or screen._callbacks
            or compositor._full_map_invalidated  # it would be rebuilt from a DOM not laid out
        )
        refresh = screen._compositor_refresh
    except Exception:  # not mounted (NoScreen), shutting down, or another Textual
        return False
    if busy or not screen.is_current or widget.app._batch_count:
        return False
    others = dirty - {widget}  # e.g. a flooding tab: it keeps waiting for its own frame
    widget._repaint_required = False  # this paint is the one `refresh` asked for
    compositor.update_widgets({widget})
    refresh()  # composites the regions taken so far (ours) and forgets the dirty set...
    dirty.update(others)  # ...so the others are put back for the tick
    return True
