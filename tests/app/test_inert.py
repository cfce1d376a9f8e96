"""Hostile text from a provider never reaches the terminal raw, and never acts as markup.

The app runs on a provider whose jobs, nodes, details, log and errors carry terminal escapes
(OSC 0 title, ED clear screen), C1 controls, a bidi override, a line separator and Textual
markup. The terminal output is what the app writes for a full repaint: the screen compositor's
update rendered with `render_segments`, as `App._display` hands it to the driver.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from rich.style import Style
from textual._compositor import LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Tabs
from textual.widgets._toast import Toast

import tui.app.factory as factory
from tests.conftest import wait_until
from tests.widgets.terminal_fakes import FakeBackend
from tui.app.app import ClusterdeckApp
from tui.app.commands.tunnel import parse_tunnel_args, serve_tunnels
from tui.app.factory import make_app
from tui.app.screens.dialogs.confirm import DetailsDialog
from tui.core.clock import ManualClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.errors import ProviderAuthError
from tui.core.models import Job, JobState, LogBatch, Node, NodeState, SshTarget
from tui.core.providers.base import Capability, Provider, ProviderContext, provider_class
from widgets.log.view import LogView
from widgets.tables.job import JobTable
from widgets.tables.node import NodeTable

MARKUP = "[bold red]x[/][link=http://e]y[/link]"
TITLE = "t\x1b]0;pwned\x07X"
CLEAR = "c\x1b[2Js"
BIDI = "d\u202ed\u2028e"
NODE = "n\u009bn\u0090n"
ROLE = "r\x1b[2Jr"
LOG = "log \u202eevil\u2028 \x1b]0;pwnlog\x07end"
BODY = "<html>Forbidden \x1b]0;pwnerr\x07\x1b[2J</html>"
REASON = "HTTP 403 \u202eForbidden"
WARNING = "5 min left\x1b]0;pwnwarn\x07"

RAW = ("\x1b]0;", "\x1b[2J", "\x07", "\x9b", "\x90", "\u202e", "\u2028")
"""Never in the output (Textual itself writes CSI, SGR and OSC 8 with ST, never these)."""
SHOWN = (
    r"t\x1b]0;pwned\x07X",
    r"c\x1b[2Js",
    r"d\u202ed\u2028e",
    r"n\x9bn\x90n",
    r"r\x1b[2Jr",
    r"log \u202eevil\u2028 end",  # the log drops escape sequences (as before), shows the rest
    MARKUP,
)


class Hostile(Provider):
    """A provider (think: a compromised API) whose every string tries something."""

    name = "hostile"
    capabilities = frozenset({Capability.JOBS, Capability.LOGS, Capability.SHELL})

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> Provider:
        return cls()

    async def list_jobs(self) -> list[Job]:
        return [
            Job("j1", MARKUP, JobState.RUNNING, provider="evil", node_count=1, status_detail=BIDI),
            Job("j2", TITLE, JobState.QUEUED, provider="evil", status_detail=CLEAR),
        ]

    async def list_nodes(self, job: Job) -> list[Node]:
        return [Node(job.id, NODE, ROLE, "127.0.0.1", 22, NodeState.RUNNING)]

    async def stream_log(self, job: Job, *, offset: int = 0) -> AsyncIterator[LogBatch]:
        if offset == 0:
            yield LogBatch(job.id, (LOG,), 1)
        raise ProviderAuthError(BODY, title=REASON)

    def ssh_target(self, node: Node) -> SshTarget:
        return SshTarget(node.host, node.port)

    def time_warning(self, job: Job) -> str | None:
        return WARNING if job.id == "j1" else None

    async def job_details(self, job: Job) -> dict[str, str]:
        return {f"Key{CLEAR}": f"v{NODE}"}


@pytest.fixture
def hostile_app(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> ClusterdeckApp:
    monkeypatch.setattr(
        factory,
        "provider_class",
        lambda kind: Hostile if kind == "hostile" else provider_class(kind),
    )
    settings = Settings(
        state_dir=tmp_path / "state",
        config_path=tmp_path / "config.toml",
        poll_interval=3600,
        providers=(ProviderConfig("evil", "hostile"),),
    )
    app = make_app(settings, clock=clock)
    app.animation_level = "none"
    return app


def terminal_output(app: ClusterdeckApp) -> str:
    """What the app writes to the terminal to repaint the whole screen."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    return update.render_segments(app.console)


def bottom_border(app: ClusterdeckApp, widget: Widget) -> str:
    """The terminal output for `widget`'s own last row (its border), without what overlays it."""
    width, height = widget.outer_size
    [strip] = widget.render_lines(Region(0, height - 1, width, 1))
    return strip.render(app.console)


def rendered(app: ClusterdeckApp, widget: Widget) -> str:
    """The terminal output for `widget`'s area of the screen, a line per row."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    rows = strips[region.y : region.bottom]
    return "\n".join(strip.crop(region.x, region.right).render(app.console) for strip in rows)


async def settle(app: ClusterdeckApp, pilot: Any) -> None:
    """Jobs, nodes, the log line, the failed log pane and both toasts on screen."""
    screen = app.main_screen
    await wait_until(
        lambda: len(screen.query_one(NodeTable).row_keys) == 1, pause=pilot.pause, what="nodes"
    )
    await wait_until(
        lambda: screen.query_one(LogView).line_count == 1, pause=pilot.pause, what="log"
    )
    await wait_until(
        lambda: screen.query_one("#log-pane").has_class("-error"),
        pause=pilot.pause,
        what="log pane failed",
    )
    await wait_until(lambda: len(screen.query(Toast)) >= 2, pause=pilot.pause, what="toasts")
    await pilot.pause()


def assert_inert(output: str, shown: tuple[str, ...] = SHOWN) -> None:
    for raw in RAW:
        assert raw not in output, f"{raw!r} reached the terminal"
    for visible in shown:
        assert visible in output, f"{visible!r} is not on screen"
    assert ";http://e" not in output, "a job name made a hyperlink"


async def test_the_dashboard_shows_hostile_text_inert(hostile_app: ClusterdeckApp) -> None:
    async with hostile_app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(hostile_app, pilot)
        assert_inert(terminal_output(hostile_app))


async def test_toasts_and_the_error_subtitle_are_inert(hostile_app: ClusterdeckApp) -> None:
    app = hostile_app
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(app, pilot)
        toasts = "\n".join(rendered(app, toast) for toast in app.main_screen.query(Toast))
        assert_inert(toasts, (r"\x1b]0;pwnerr\x07\x1b[2J</html>", r"left\x1b]0;pwnwarn\x07"))
        assert "[link=http://e]y[/link]:" in toasts  # the job name in the time warning
        bottom = bottom_border(app, app.main_screen.query_one("#log-pane"))
        assert_inert(bottom, (r"HTTP 403 \u202eForbidden",))
        for note in app._notifications:
            assert not note.markup
            assert not any(raw in note.message + note.title for raw in RAW)


async def test_screens_are_inert_without_the_render_gate(hostile_app: ClusterdeckApp) -> None:
    """Tables, toasts and titles show inert text themselves; the guard is only the last line."""
    from tui.app.render_guard import install_render_guard, remove_render_guard

    app = hostile_app
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(app, pilot)
        remove_render_guard()
        try:
            screen = app.main_screen
            parts = [
                rendered(app, screen.query_one(JobTable)),
                rendered(app, screen.query_one(NodeTable)),
            ]
            parts += [rendered(app, toast) for toast in screen.query(Toast)]
            parts.append(bottom_border(app, screen.query_one("#log-pane")))
        finally:
            install_render_guard()
        assert_inert("\n".join(parts), (*SHOWN[:5], MARKUP, r"HTTP 403 \u202eForbidden"))


async def test_job_details_are_inert_and_not_markup(hostile_app: ClusterdeckApp) -> None:
    app = hostile_app
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await wait_until(
            lambda: isinstance(app.screen, DetailsDialog), pause=pilot.pause, what="details"
        )
        await pilot.pause()
        output = rendered(app, app.screen.query_one(".dialog-box"))
        assert_inert(output, (f"Job {MARKUP}", f"{MARKUP} (j1)", r"Keyc\x1b[2Js", r"vn\x9bn\x90n"))


async def test_a_remote_window_title_is_inert_in_the_shell_tab(
    hostile_app: ClusterdeckApp,
) -> None:
    app = hostile_app
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(app, pilot)
        backend = FakeBackend()
        await app.push_screen(app.terminals)
        await app.terminals.open_tab(f"u@{NODE}", backend)
        tabs = app.terminals.query_one(Tabs)
        await wait_until(
            lambda: r"u@n\x9bn\x90n" in rendered(app, tabs), pause=pilot.pause, what="tab"
        )
        backend.push("\x1b]0;[b]T[/b]\u202eZ\x07hello\r\n".encode())
        await wait_until(
            lambda: r"[b]T[/b]\u202eZ" in rendered(app, tabs), pause=pilot.pause, what="title"
        )
        assert_inert(terminal_output(app), (r"[b]T[/b]\u202eZ", "hello"))


async def test_the_tunnel_command_prints_job_names_inert() -> None:
    out, err = io.StringIO(), io.StringIO()
    stop = asyncio.Event()
    stop.set()  # say that j2 is queued, then stop waiting
    options = parse_tunnel_args(["--job", "j2", "-L", "8888:localhost:8888"])
    pool: Any = object()  # no tunnel is opened before the job runs
    status = await serve_tunnels(
        options, provider=Hostile(), pool=pool, out=out, err=err, stop=stop
    )
    assert status == 0
    assert r"job t\x1b]0;pwned\x07X is queued" in out.getvalue()
    assert "\x1b" not in out.getvalue() + err.getvalue()


# --- the render gate itself --------------------------------------------------------------------


async def test_the_render_guard_is_in_effect_on_textuals_own_output_path(
    hostile_app: ClusterdeckApp,
) -> None:
    """Fails loudly when Textual changes how it writes strips (the guard would be bypassed)."""
    from tui.app.render_guard import render_guard_installed

    assert version("textual").startswith("8.2."), "re-check tui/app/render_guard.py"
    assert render_guard_installed()
    strip = Strip([Segment("a\x1b[2Jb", Style(bold=True)), Segment("x", Style(link="h\x07\x1b"))])
    update = LayoutUpdate([[strip]], Region(0, 0, 20, 1))
    output = update.render_segments(hostile_app.console)
    assert r"a\x1b[2Jb" in output and "\x1b[2J" not in output
    assert "h\x07" not in output and "\x1b]8" not in output  # the link is dropped, its text kept
    assert strip.render(hostile_app.console) is strip.render(hostile_app.console)  # cached


def test_the_render_guard_gives_back_the_cells_it_adds() -> None:
    from tui.app.render_guard import inert_segments

    segments = [Segment("a\u202eb"), Segment(" " * 10, Style(bgcolor="red"))]
    before = Strip(segments).cell_length
    after = Strip(inert_segments(segments))
    assert after.text == r"a\u202eb" + " " * 4
    assert after.cell_length == before
