"""The palette's Screenshot command saves even when ~/Downloads does not exist, and says where."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content

from tests.apphelpers import Running
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp


def saved_notes(app: ClusterdeckApp) -> list[str]:
    return [
        Content.from_markup(n.message).plain if n.markup else n.message
        for n in app._notifications
        if n.title == "Screenshot"
    ]


async def test_screenshot_makes_the_downloads_folder(
    running_app: Running, isolated_home: Path
) -> None:
    app, pilot = running_app
    downloads = isolated_home / "Downloads"
    assert not downloads.exists()
    command = next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")
    command.callback()
    await wait_until(lambda: saved_notes(app), pause=pilot.pause, what="the screenshot note")
    saved = list(downloads.glob("*.svg"))
    assert len(saved) == 1 and saved[0].read_text().startswith("<svg")
    assert saved_notes(app) == [f"Saved screenshot to {saved[0]}"]


async def test_screenshot_goes_to_the_state_dir_when_downloads_cannot_be_made(
    running_app: Running, isolated_home: Path
) -> None:
    app, pilot = running_app
    (isolated_home / "Downloads").write_text("a file, not a folder")
    app.deliver_screenshot()
    await wait_until(lambda: saved_notes(app), pause=pilot.pause, what="the screenshot note")
    folder = app.settings.state_dir / "screenshots"
    saved = list(folder.glob("*.svg"))
    assert len(saved) == 1
    assert folder.stat().st_mode & 0o777 == 0o700
    assert saved_notes(app) == [f"Saved screenshot to {saved[0]}"]
