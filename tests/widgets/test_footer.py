"""KeyFooter in a tiny host app: the kept keys come first, compact, below `narrow` columns."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from widgets.footer import KeyFooter


class Host(App[None]):
    BINDINGS = [
        *(Binding(k, f"noop('{k}')", f"Action {k}") for k in "abcdefgh"),
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def action_noop(self, key: str) -> None:
        pass

    def action_help(self) -> None:
        pass


def footer_row(app: Host) -> str:
    return app.screen._compositor.render_strips()[-1].text


async def test_narrow_puts_the_kept_keys_first_and_compact() -> None:
    app = Host()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        row = footer_row(app)
        assert row.startswith("q Quit ? Help a Action a"), row
        assert app.query_one(KeyFooter).compact


async def test_wide_keeps_the_order() -> None:
    app = Host()
    async with app.run_test(size=(160, 5)) as pilot:
        await pilot.pause()
        row = footer_row(app)
        assert row.index("a Action a") < row.index("q Quit") < row.index("? Help"), row
        assert not app.query_one(KeyFooter).compact
