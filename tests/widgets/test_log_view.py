"""Tests for `widgets.log.view.LogView`, each in a tiny host app."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events, on
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from widgets.log.store import BLOCK_LINES, sanitise
from widgets.log.view import CACHE_SIZE, LogView


class Host(App[None]):
    """Hosts one focused LogView and records its TailChanged messages."""

    def __init__(self, max_lines: int = 100_000) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.tail_events: list[tuple[bool, int]] = []

    def compose(self) -> ComposeResult:
        yield LogView(max_lines=self.max_lines, id="log")

    def on_mount(self) -> None:
        self.query_one(LogView).focus()

    @on(LogView.TailChanged)
    def record(self, event: LogView.TailChanged) -> None:
        assert event.control is event.log_view
        self.tail_events.append((event.follow, event.pending))


def screen_rows(view: LogView) -> list[str]:
    """The text of every visible row."""
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def numbered(count: int, start: int = 0) -> list[str]:
    return [f"line {i:05d}" for i in range(start, start + count)]


async def filled(pilot: Pilot[None], count: int) -> LogView:
    view = pilot.app.query_one(LogView)
    view.write_lines(numbered(count))
    await pilot.pause()
    return view


async def test_lines_appear_and_follow_shows_last_line() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 100)
        rows = screen_rows(view)
        assert view.follow is True
        assert rows[-1] == "line 00099"
        assert rows[0] == "line 00080"
        view.write_lines(numbered(5, start=100))
        await pilot.pause()
        assert screen_rows(view)[-1] == "line 00104"
        assert view.pending == 0


async def test_short_log_renders_from_top_with_blank_rows() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 3)
        rows = screen_rows(view)
        assert rows[:4] == ["line 00000", "line 00001", "line 00002", ""]


async def test_ring_buffer_drops_oldest_exactly() -> None:
    app = Host(max_lines=BLOCK_LINES + 10)
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 3 * BLOCK_LINES + 7)
        assert view.line_count == BLOCK_LINES + 10
        assert view.get_line(0) == f"line {2 * BLOCK_LINES - 3:05d}"
        assert view.get_line(-1) == f"line {3 * BLOCK_LINES + 6:05d}"
        assert view.tail(2) == numbered(2, start=3 * BLOCK_LINES + 5)
        assert view.virtual_size.height == BLOCK_LINES + 10
        assert screen_rows(view)[-1] == f"line {3 * BLOCK_LINES + 6:05d}"


async def test_scroll_up_pauses_counts_pending_and_posts() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 100)
        await pilot.press("up")
        await pilot.pause()
        assert view.follow is False
        assert app.tail_events[-1] == (False, 0)
        before = screen_rows(view)
        view.write_lines(numbered(7, start=100))
        await pilot.pause()
        assert view.pending == 7
        assert app.tail_events[-1] == (False, 7)
        assert screen_rows(view) == before  # the view stays put
        await pilot.press("end")
        await pilot.pause()
        assert (view.follow, view.pending) == (True, 0)
        assert app.tail_events[-1] == (True, 0)
        assert screen_rows(view)[-1] == "line 00106"


async def test_pageup_and_home_pause_following() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 200)
        await pilot.press("pageup")
        await pilot.pause()
        assert view.follow is False
        await pilot.press("end", "home")
        await pilot.pause()
        assert view.follow is False
        assert screen_rows(view)[0] == "line 00000"


async def test_f_toggles_follow() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 50)
        await pilot.press("f")
        await pilot.pause()
        assert view.follow is False and view.has_class("-paused")
        view.write_lines(numbered(3, start=50))
        await pilot.pause()
        assert view.pending == 3
        assert screen_rows(view)[-1] == "line 00049"
        await pilot.press("f")
        await pilot.pause()
        assert (view.follow, view.pending) == (True, 0)
        assert screen_rows(view)[-1] == "line 00052"
        assert app.tail_events[-1] == (True, 0)


async def test_trim_while_paused_keeps_view_on_same_lines() -> None:
    app = Host(max_lines=100)
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 100)
        view.scroll_to(y=50, animate=False, immediate=True)
        await pilot.pause()
        assert view.follow is False
        top = screen_rows(view)[0]
        view.write_lines(numbered(10, start=100))
        await pilot.pause()
        assert view.line_count == 100
        assert screen_rows(view)[0] == top


async def test_sanitises_escapes_and_controls() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines(
            [
                "\x1b[31mred\x1b[0m",
                "a\x00b",
                "x\x1b]52;c;aGVsbG8=\x07y",
                "t\tz",
                "50%\r100%\r\n",
                "lone \ud800 surrogate",
                "two\nlines",
                "\x9b1mC1\x07",
            ]
        )
        await pilot.pause()
        assert view.tail(9) == [
            "red",
            "ab",
            "xy",
            "t       z",
            "100%",
            "lone \ufffd surrogate",
            "two",
            "lines",
            "C1",
        ]
        assert screen_rows(view)[0] == "red"


@settings(database=None)
@given(st.text(max_size=40))
def test_sanitise_never_raises_and_strips_controls(raw: str) -> None:
    for line in sanitise(raw):
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in line)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in line)


async def test_search_forward_backward_wrap_and_none() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines([f"row {i} {'ERROR' if i in (5, 60, 90) else 'ok'}" for i in range(100)])
        await pilot.pause()
        assert view.search("error") == 90  # from the viewport (rows 80-99)
        assert view.follow is False
        assert view.search("error") == 5  # wraps
        assert view.search("error") == 60
        await pilot.press("n")
        assert view.search("error", backwards=True) == 60  # n moved to 90
        await pilot.press("N")
        await pilot.pause()
        assert view.search("error") == 60  # N moved to 5
        assert view.search("ERROR", case_sensitive=True) == 60  # new search: from the viewport
        assert view.search("error", case_sensitive=True) is None
        assert view.search(r"row 6\d ", regex=True) == 60
        assert view.search("nothing here") is None
        rows = screen_rows(view)
        assert any(row.startswith("row 60 ") for row in rows)
        assert view.find_all("ERROR") == [5, 60, 90]
        assert view.find_all(r"^row 9\d", regex=True) == list(range(90, 100))


async def test_search_spans_blocks_and_tail() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 2 * BLOCK_LINES + 100)
        needles = [3, BLOCK_LINES - 1, BLOCK_LINES, 2 * BLOCK_LINES + 50]
        assert view.find_all("line 0000") == list(range(10))
        for n in needles:
            assert view.find_all(f"line {n:05d}") == [n]
        view.write_lines(["Übergröße naïve"])
        assert view.find_all("übergröße") == [2 * BLOCK_LINES + 100]
        assert view.search("LINE 00003", backwards=True) == 3


async def test_match_is_highlighted() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines(["alpha beta gamma", "no match"])
        await pilot.pause()
        plain = view.render_line(0)
        assert view.search("beta") == 0
        await pilot.pause()
        match_style = view.get_component_rich_style("log-view--match")
        strip = view.render_line(0)
        styled = {seg.text: seg.style for seg in strip}
        assert styled["beta"] is not None and styled["beta"].bgcolor == match_style.bgcolor
        assert all(seg.style != styled["beta"] for seg in plain)
        view.clear_search()
        assert all(seg.text != "beta" for seg in view.render_line(0))


async def test_render_cache_stays_bounded() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 3 * CACHE_SIZE)
        view.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        texts = [view.render_line(y).text.rstrip() for y in range(3 * CACHE_SIZE)]
        assert texts[-1] == f"line {3 * CACHE_SIZE - 1:05d}"
        assert 0 < len(view._cache) <= CACHE_SIZE


async def test_clear_resets() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 50)
        view.clear()
        await pilot.pause()
        assert view.line_count == 0 and view.tail(5) == []
        assert screen_rows(view)[0] == ""
        view.write_lines(["fresh"])
        await pilot.pause()
        assert view.get_line(0) == "fresh" and screen_rows(view)[0] == "fresh"


batches = st.lists(
    st.lists(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12), max_size=60),
    max_size=12,
)


@settings(max_examples=60, deadline=None, database=None)
@given(batches=batches, max_lines=st.integers(min_value=1, max_value=300))
def test_ring_buffer_property(batches: list[list[str]], max_lines: int) -> None:
    view = LogView(max_lines=max_lines)
    written: list[str] = []
    for batch in batches:
        view.write_lines(batch)
        written.extend(batch)
        assert view.line_count == min(len(written), max_lines)
    kept = written[-max_lines:] if written else []
    assert view.tail(max_lines) == kept
    assert [view.get_line(i) for i in range(view.line_count)] == kept


@settings(max_examples=20, deadline=None, database=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=3 * BLOCK_LINES), max_size=4))
def test_ring_buffer_property_across_blocks(sizes: list[int]) -> None:
    view = LogView(max_lines=BLOCK_LINES + 123)
    total = 0
    for size in sizes:
        view.write_lines(numbered(size, start=total))
        total += size
    assert view.line_count == min(total, BLOCK_LINES + 123)
    assert view.tail(view.line_count) == numbered(view.line_count, start=total - view.line_count)


async def test_regex_anchors_work_per_line_in_both_directions() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 2 * BLOCK_LINES)
        assert view.find_all(r"^line 0000\d$", regex=True) == list(range(10))
        assert view.search(r"7$", regex=True, backwards=True) == 2 * BLOCK_LINES - 5
        assert view.search(r"7$", regex=True, backwards=True) == 2 * BLOCK_LINES - 15
        assert view.search("$", regex=True, backwards=True) is not None


async def test_mouse_wheel_up_pauses_and_wheel_down_to_end_resumes() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 100)
        wheel = (5, 5, 0, 0, 0, False, False, False)  # x, y, deltas, button, shift, meta, ctrl
        view.post_message(events.MouseScrollUp(view, *wheel))
        await pilot.pause()
        assert view.follow is False and app.tail_events[-1] == (False, 0)
        for _ in range(10):
            view.post_message(events.MouseScrollDown(view, *wheel))
        await pilot.wait_for_scheduled_animations()
        assert view.follow is True and app.tail_events[-1] == (True, 0)


async def test_clear_then_refill_still_follows_to_the_end() -> None:
    """Regression: after `clear()` and a repaint the scrollbar is gone; refilling must still
    scroll to the last line (switching jobs showed the top of the new job's log)."""
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 600)
        view.clear()
        await pilot.pause()
        view.write_lines(numbered(320))
        await pilot.pause()
        assert view.follow is True
        assert screen_rows(view)[-1] == "line 00319"


async def test_scrollbar_thumb_follows_a_refill_after_clear() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = await filled(pilot, 600)
        view.clear()
        await pilot.pause()
        view.write_lines(numbered(320))
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y > 0
        assert view.vertical_scrollbar.position == view.scroll_y


async def test_scrolling_down_to_the_end_resumes_following() -> None:
    """The animated scroll that reaches the end turns follow on (it used to crash Textual's
    animator by scrolling again from inside the animation's own step)."""
    app = Host()
    async with app.run_test(size=(40, 6)) as pilot:
        view = await filled(pilot, 30)
        await pilot.press("up", "up")
        assert not view.follow
        await pilot.press("down", "down")
        assert view.follow
        assert screen_rows(view)[-1] == "line 00029"


# --- wrapping ---------------------------------------------------------------------------------


def cut(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


async def test_w_wraps_long_lines_and_keeps_following() -> None:
    app = Host()
    async with app.run_test(size=(20, 8)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines(["short", "x" * 45, "tail line"])
        await pilot.pause()
        assert screen_rows(view)[:3] == ["short", "x" * 20, "tail line"]  # cut, scrolls sideways
        await pilot.press("w")
        assert view.wrap and view.has_class("-wrap")
        width = view.scrollable_content_region.width  # the scrollbar's gutter is kept
        assert screen_rows(view)[:5] == ["short", *cut("x" * 45, width), "tail line"]
        view.write_lines(numbered(6))
        await pilot.pause()
        every_row = ["short", *cut("x" * 45, width), "tail line", *numbered(6)]
        assert screen_rows(view) == every_row[-8:]  # following: the last rows
        await pilot.press("w")
        assert screen_rows(view)[-1] == "line 00005"
        assert not view.wrap


async def test_wrapped_view_scrolls_by_rows_and_search_shows_the_match() -> None:
    app = Host()
    async with app.run_test(size=(20, 8)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines([f"{n:02d} " + "y" * 30 for n in range(30)])  # two rows each
        await pilot.press("w")
        assert screen_rows(view)[-2].startswith("29 ")
        await pilot.press("up")  # one row up
        assert view.follow is False
        assert screen_rows(view)[-1].startswith("29 ")
        assert view.search("07 ") == 7
        rows = screen_rows(view)
        assert any(row.startswith("07 ") for row in rows[: len(rows) // 2 + 1])
        await pilot.press("end")
        assert view.follow and screen_rows(view)[-2].startswith("29 ")


async def test_every_row_of_a_line_taller_than_the_view_can_be_reached() -> None:
    app = Host()
    async with app.run_test(size=(10, 4)) as pilot:
        view = pilot.app.query_one(LogView)
        tall = "START" + "m" * 40 + "MIDDLE" + "n" * 40 + "END"
        view.write_lines(["a", tall, "z"])
        await pilot.press("w")
        width = view.scrollable_content_region.width
        assert screen_rows(view)[-1] == "z"
        await pilot.press("home")
        seen = screen_rows(view)
        while not view.follow:
            await pilot.press("down")
            seen += screen_rows(view)
        assert set(cut(tall, width)) <= set(seen)
        assert view.search("MIDDLE") == 1  # the match's row is shown, not only its line's start
        assert any("MIDDLE"[:3] in row for row in screen_rows(view))


async def test_wrapping_moves_a_wide_character_to_the_next_row() -> None:
    app = Host()
    async with app.run_test(size=(12, 4)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines(["a" + "界" * 5 + "Z"])
        await pilot.press("w")
        assert view.scrollable_content_region.width == 10
        assert screen_rows(view)[:2] == ["a" + "界" * 4, "界Z"]


async def test_wrapping_keeps_the_view_on_its_lines_while_the_ring_buffer_trims() -> None:
    app = Host(max_lines=20)
    async with app.run_test(size=(12, 6)) as pilot:
        view = pilot.app.query_one(LogView)
        view.write_lines([f"{n:02d} " + "w" * 12 for n in range(20)])
        await pilot.press("w", "up", "up", "up")
        top = screen_rows(view)[0]
        view.write_lines([f"{n:02d} " + "w" * 12 for n in range(20, 23)])  # 3 oldest dropped
        await pilot.pause()
        assert screen_rows(view)[0] == top
        view.write_lines([f"{n:02d} " + "w" * 12 for n in range(23, 60)])  # all of them
        await pilot.pause()
        assert screen_rows(view)[0].startswith("40 ")
        view.clear()
        view.write_lines(["cleared"])
        await pilot.pause()
        assert screen_rows(view)[0] == "cleared"
