"""OSC 8 hyperlinks: underlined where they were printed, a click reports the URL, nothing opens."""

from __future__ import annotations

from tests.widgets.terminal_fakes import FakeBackend, Host, show, started, wait_for
from widgets.terminal.links import LinkMap
from widgets.terminal.model import TerminalModel
from widgets.terminal.view import TerminalView

LINK = b"see \x1b]8;id=1;https://example.com/a?b=c\x1b\\the docs\x1b]8;;\x1b\\ now"


def underlined(view: TerminalView, y: int) -> list[bool]:
    flags: list[bool] = []
    for segment in view.render_line(y):
        flags += [bool(segment.style and segment.style.underline)] * segment.cell_length
    return flags


def test_the_model_keeps_spans_by_absolute_line_split_anywhere() -> None:
    for split in range(len(LINK)):
        model = TerminalModel(20, 3)
        model.feed(b"\r\n\r\n\r\n")  # one line into the scrollback: ids are absolute
        model.feed(LINK[:split])
        model.feed(LINK[split:])
        line = model.emulator.history_total + 2
        assert model.links.at(line, 3) is None
        assert model.links.at(line, 4) == model.links.at(line, 11) == "https://example.com/a?b=c"
        assert model.links.at(line, 12) is None


def test_a_link_over_two_lines_and_hostile_uris() -> None:
    links = LinkMap()
    links.set("https://x.test/", 7, 15, 20)
    links.set("", 8, 3, 20)
    assert [links.at(7, x) for x in (14, 15, 19)] == [None, "https://x.test/", "https://x.test/"]
    assert [links.at(8, x) for x in (0, 2, 3)] == ["https://x.test/", "https://x.test/", None]
    links.set("https://x.test/\x1b[2J", 9, 0, 20)  # a control character: not a link
    links.set("", 9, 5, 20)
    links.set("https://" + "a" * 3000, 10, 0, 20)  # too long
    links.set("", 10, 5, 20)
    assert links.spans(9) == links.spans(10) == []


async def test_links_are_underlined_and_a_click_reports_them() -> None:
    app = Host(FakeBackend())
    async with app.run_test(size=(40, 6)) as pilot:
        view, backend = await started(pilot)
        await show(pilot, view, LINK + b"\r\n")
        assert view.screen_text()[0] == "see the docs now"
        assert underlined(view, 0)[:17] == [False] * 4 + [True] * 8 + [False] * 5
        await pilot.click(view, offset=(1, 0))  # beside the link: nothing
        await pilot.click(view, offset=(6, 0))
        await wait_for(pilot, lambda: app.messages(TerminalView.LinkClicked), "the click")
        clicked = app.messages(TerminalView.LinkClicked)
        assert [m.url for m in clicked] == ["https://example.com/a?b=c"]  # type: ignore[attr-defined]
        await pilot.mouse_down(view, offset=(5, 0))  # a drag over a link selects, no click
        await pilot.hover(view, offset=(9, 0))
        await pilot.mouse_up(view, offset=(9, 0))
        await wait_for(pilot, lambda: app.messages(TerminalView.CopyRequested), "the copy")
        assert len(app.messages(TerminalView.LinkClicked)) == 1
        assert backend.take() == b""  # the remote heard nothing of it
