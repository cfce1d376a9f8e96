"""The theme chosen in the palette is remembered in the state dir, unless the config sets one."""

from __future__ import annotations

import json
import stat

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tui.app.uistate import UI_STATE_FILE


async def test_the_chosen_theme_is_saved_and_restored(app_factory: AppFactory) -> None:
    app = app_factory()
    state = app.settings.state_dir / UI_STATE_FILE
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        assert app.theme == "textual-dark" and not state.exists()
        app.theme = "gruvbox"  # what the palette's "Change theme" does
        await wait_until(state.exists, pause=pilot.pause, what="the ui state file")
    assert json.loads(state.read_text()) == {"theme": "gruvbox"}
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    again = app_factory()
    async with again.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(again, pilot)
        assert again.theme == "gruvbox"


async def test_a_theme_in_the_config_wins_and_is_not_overwritten(app_factory: AppFactory) -> None:
    first = app_factory()
    state = first.settings.state_dir / UI_STATE_FILE
    state.write_text('{"theme": "gruvbox"}\n')
    app = app_factory(theme="nord")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        assert app.theme == "nord"
        app.theme = "dracula"
        await pilot.pause()
        await pilot.pause()
    assert json.loads(state.read_text()) == {"theme": "gruvbox"}


async def test_a_broken_or_unknown_saved_theme_is_ignored(app_factory: AppFactory) -> None:
    app = app_factory()
    state = app.settings.state_dir / UI_STATE_FILE
    for text in ("{not json", '{"theme": "no-such-theme"}', "[1, 2]"):
        state.write_text(text)
        app = app_factory()
        async with app.run_test(size=(120, 36)) as pilot:
            await settle_dashboard(app, pilot)
            assert app.theme == "textual-dark"
