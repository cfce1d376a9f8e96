"""The keyed tables in tiny host apps: rows by key, cursor kept, tones, messages up."""

from __future__ import annotations

import html
import re

import pytest
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult

from widgets.tables.job import JobRow, JobTable
from widgets.tables.keyed import TONES, KeyedTable
from widgets.tables.node import NodeRow, NodeTable
from widgets.tables.sshkey import KeyRow, KeyTable
from widgets.tables.tunnel import TunnelRow, TunnelTable

Seen = list[tuple[str, KeyedTable.RowHighlighted | KeyedTable.RowChosen]]


def cell_style(table: KeyedTable, key: str, column: str) -> Style:
    """The style of a cell, which the tables render as `Text` with a `Style`."""
    cell = table.get_cell(key, column)
    assert isinstance(cell, Text) and isinstance(cell.style, Style)
    return cell.style


class Host(App[None]):
    """A jobs and a nodes table; handlers routed by `#id` record what reached them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Seen = []

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs")
        yield NodeTable(id="nodes")

    @on(JobTable.RowHighlighted, "#jobs")
    def job_highlighted(self, event: JobTable.RowHighlighted) -> None:
        self.seen.append(("job highlighted", event))

    @on(JobTable.RowChosen, "#jobs")
    def job_chosen(self, event: JobTable.RowChosen) -> None:
        self.seen.append(("job chosen", event))

    @on(NodeTable.RowHighlighted, "#nodes")
    def node_highlighted(self, event: NodeTable.RowHighlighted) -> None:
        self.seen.append(("node highlighted", event))

    @on(NodeTable.RowChosen, "#nodes")
    def node_chosen(self, event: NodeTable.RowChosen) -> None:
        self.seen.append(("node chosen", event))

    def keys_seen(self, what: str) -> list[str]:
        return [event.key for name, event in self.seen if name == what]


def jobs(*names: str, state: str = "running") -> list[JobRow]:
    return [JobRow(key=f"k-{n}", name=n, state=state, tone="active") for n in names]


def node(key: str, state: str = "running", tone: str = "active") -> NodeRow:
    return NodeRow(key, key, "worker", "127.0.0.1:2222", state, tone)


async def test_rows_update_in_place_and_cursor_survives() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs("a", "b", "c"))
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_key == "k-c"
        table.update_jobs(jobs("a", "b", "c", state="completed"))
        await pilot.pause()
        assert table.cursor_key == "k-c"
        assert str(table.get_cell("k-b", "state")) == "COMPLETED"
        # A new job arrives at the top: the cursor stays on the same job, not the same index.
        table.update_jobs(jobs("new", "a", "b", "c"))
        await pilot.pause()
        assert table.row_keys == ["k-new", "k-a", "k-b", "k-c"]
        assert table.cursor_key == "k-c"
        # The job under the cursor disappears: nothing breaks, the cursor is on a real row.
        table.update_jobs(jobs("new", "a"))
        await pilot.pause()
        assert table.cursor_key in {"k-new", "k-a"}


async def test_state_cell_is_coloured_by_tone() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)):
        table = app.query_one(JobTable)
        table.update_jobs(
            [JobRow("r", "run", "running", "active"), JobRow("f", "bad", "failed", "error")]
        )
        running = cell_style(table, "r", "state")
        failed = cell_style(table, "f", "state")
        assert running != failed
        assert failed.color is not None and failed.bold


async def test_each_tone_is_its_component_class_and_unknown_tones_are_muted() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)):
        table = app.query_one(JobTable)
        table.update_jobs([JobRow(t, t, t, t) for t in (*TONES, "no-such-tone")])
        styles = {t: cell_style(table, t, "state") for t in (*TONES, "no-such-tone")}
        for tone in TONES:
            component = table.get_component_rich_style(f"keyed-table--{tone}", partial=True)
            assert styles[tone] == component == table.tone_style(tone)
        assert len({styles[tone] for tone in TONES}) == len(TONES)
        assert styles["no-such-tone"] == styles["muted"]


async def test_subclasses_keep_their_own_emphasis_on_the_shared_tones() -> None:
    class Tables(App[None]):
        def compose(self) -> ComposeResult:
            yield JobTable()
            yield NodeTable()
            yield TunnelTable()
            yield KeyTable()

    async with Tables().run_test(size=(80, 40)) as pilot:
        job = pilot.app.query_one(JobTable)
        nodes = pilot.app.query_one(NodeTable)
        tunnels = pilot.app.query_one(TunnelTable)
        keys = pilot.app.query_one(KeyTable)
        assert job.tone_style("active").bold and tunnels.tone_style("active").bold
        assert not nodes.tone_style("active").bold
        assert nodes.tone_style("active").color == job.tone_style("active").color
        keys.update_keys(
            [KeyRow("k", "id_rsa", fingerprint="unreadable", broken=True, permissions_safe=False)]
        )
        permissions, fingerprint = (
            cell_style(keys, "k", "permissions"),
            cell_style(keys, "k", "fingerprint"),
        )
        assert permissions.bold and permissions.color == job.tone_style("waiting").color
        assert not fingerprint.bold
        assert fingerprint.color == job.tone_style("error").color


async def test_j_k_browse_and_messages_carry_key_and_control() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs("a", "b"))
        table.focus()
        await pilot.press("j")
        await pilot.pause()
        assert table.cursor_key == "k-b"
        await pilot.press("k", "enter")
        await pilot.pause()
        assert app.keys_seen("job highlighted")[-1] == "k-a"
        assert app.keys_seen("job chosen") == ["k-a"]
        for _, event in app.seen:
            assert event.control is table and event.table is table


async def test_id_selectors_route_each_table_to_its_own_handler() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        job_table, node_table = app.query_one(JobTable), app.query_one(NodeTable)
        job_table.update_jobs(jobs("a", "b"))
        node_table.update_nodes([node("n1"), node("n2")])
        node_table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.keys_seen("node chosen") == ["n2"]
        assert "n2" in app.keys_seen("node highlighted")
        assert app.keys_seen("job chosen") == []
        assert not {"n1", "n2"} & set(app.keys_seen("job highlighted"))
        job_table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.keys_seen("job chosen") == ["k-a"]
        assert app.keys_seen("node chosen") == ["n2"]


async def test_the_default_handler_name_is_the_keyed_table_one() -> None:
    chosen: list[str] = []

    class Named(App[None]):
        def compose(self) -> ComposeResult:
            yield TunnelTable()

        def on_keyed_table_row_chosen(self, event: KeyedTable.RowChosen) -> None:
            chosen.append(event.key)

    async with Named().run_test(size=(100, 10)) as pilot:
        table = pilot.app.query_one(TunnelTable)
        table.update_tunnels([TunnelRow("t1", "jupyter", "n1", "127.0.0.1:8888", "x:1", "ok")])
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert chosen == ["t1"]


async def test_enter_on_a_node_requests_a_shell() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(NodeTable)
        table.update_nodes(
            [
                NodeRow(
                    "master-0",
                    "master-0",
                    "master",
                    "127.0.0.1:2222",
                    "running",
                    "active",
                    36,
                    31.25,
                ),
                NodeRow("worker-1", "worker-1", "worker", "127.0.0.1:2223", "down", "error"),
            ]
        )
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.keys_seen("node chosen") == ["worker-1"]
        assert str(table.get_cell("master-0", "load")) == "31.2"
        assert str(table.get_cell("master-0", "address")) == "127.0.0.1:2222"


async def test_a_longer_value_widens_its_column() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs([JobRow("a", "a", "queued", "waiting", detail="x")])
        await pilot.pause()
        table.update_jobs([JobRow("a", "a", "running", "active", detail="node[01-02] · 29 min")])
        await pilot.pause()
        row = table.render_line(1).text  # row 0 is the header
        assert "RUNNING" in row and "node[01-02] · 29 min" in row


@pytest.mark.parametrize("kind", [JobTable, NodeTable, TunnelTable, KeyTable])
def test_every_table_posts_the_base_messages(kind: type[KeyedTable]) -> None:
    assert kind.RowHighlighted is KeyedTable.RowHighlighted
    assert kind.RowChosen is KeyedTable.RowChosen


async def test_a_table_painted_before_its_columns_are_measured_shows_whole_cells() -> None:
    """DataTable measures columns on idle; lines drawn before that must not stay truncated."""
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(NodeTable)
        table.update_nodes([node("master-0"), node("worker-1")])
        early = table.render_line(1).text  # painted now, before the idle measurement
        assert "master-0" not in early  # (the race this guards against, made certain)
        await pilot.pause()
        await pilot.pause()
        assert "master-0" in table.render_line(1).text
        assert "127.0.0.1:2222" in table.render_line(1).text


async def test_the_efficiency_column_comes_with_the_first_figure_and_keeps_the_cursor() -> None:
    class Jobs(App[None]):
        def compose(self) -> ComposeResult:
            yield JobTable(id="jobs")

    async with Jobs().run_test() as pilot:
        table = pilot.app.query_one(JobTable)
        table.update_jobs([JobRow("a", "a", "running"), JobRow("b", "b", "completed")])
        table.select_key("b")
        await pilot.pause()
        assert [str(c.label) for c in table.columns.values()] == ["Job", "State", "Detail"]
        table.update_jobs(
            [JobRow("a", "a", "running"), JobRow("b", "b", "completed", usage="CPU 93%")]
        )
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == ["Job", "State", "Efficiency", "Detail"]  # before Detail: in view
        assert str(table.get_cell("b", "usage")) == "CPU 93%" and table.cursor_key == "b"


async def test_rows_come_and_go_where_they_stand_without_a_rebuild() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs("a", "b", "c", "d"))
        table.focus()
        await pilot.press("down", "down")
        untouched = table.get_cell("k-b", "name")
        table.update_jobs(jobs("new", "a", "b", "c", "d"))  # submitted: at the top
        await pilot.pause()
        assert table.row_keys == ["k-new", "k-a", "k-b", "k-c", "k-d"]
        assert [str(table.get_row_at(i)[0]) for i in range(5)] == ["new", "a", "b", "c", "d"]
        assert table.cursor_key == "k-c" and table.cursor_row == 3
        assert table.get_cell("k-b", "name") is untouched  # the row was not built again
        table.update_jobs(jobs("new", "b", "c", "d", "last"))  # one gone, one at the end
        await pilot.pause()
        assert table.row_keys == ["k-new", "k-b", "k-c", "k-d", "k-last"]
        assert [str(table.get_row_at(i)[0]) for i in range(5)] == ["new", "b", "c", "d", "last"]
        assert table.cursor_key == "k-c" and table.get_cell("k-b", "name") is untouched
        table.update_jobs(jobs("d", "c", "b"))  # reordered, two gone
        await pilot.pause()
        assert [str(table.get_row_at(i)[0]) for i in range(3)] == ["d", "c", "b"]
        assert table.cursor_key == "k-c" and table.row_count == 3
        assert "c" in table.render_line(2).text and "d" in table.render_line(1).text


async def test_the_next_row_takes_the_place_of_a_removed_one_under_the_cursor() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs("a", "b", "c"))
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        app.seen.clear()
        table.update_jobs(jobs("a", "c"))
        await pilot.pause()
        assert table.cursor_key == "k-c"
        assert app.keys_seen("job highlighted") == ["k-c"]  # the screen follows the cursor


async def test_a_tone_change_with_the_same_text_restyles_the_cell() -> None:
    """rich's `Text ==` ignores the style: cells are compared by text, style and justify."""
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(NodeTable)
        table.update_nodes([node("n1", "up", "active")])
        table.update_nodes([node("n1", "up", "error")])
        await pilot.pause()
        assert cell_style(table, "n1", "state") == table.tone_style("error")


def painted(app: App[None]) -> str:
    """The text on the app's screen as last painted (the SVG screenshot's text runs)."""
    return html.unescape("".join(re.findall(r">([^<]*)</text>", app.export_screenshot())))


async def test_a_changed_row_is_painted_on_screen_and_off_screen_when_scrolled_to() -> None:
    """Cells are written without DataTable's update count: no stale line may be drawn."""
    app = Host()
    async with app.run_test(size=(100, 12)) as pilot:
        app.query_one(JobTable).display = False
        table = app.query_one(NodeTable)
        rows = [
            NodeRow(f"n{i:03d}", f"n{i:03d}", "worker", "h:22", "running", load=0.5)
            for i in range(200)
        ]
        table.update_nodes(rows)
        await pilot.pause()
        table.scroll_to(y=150, animate=False, immediate=True)  # lines of row 150 get cached
        await pilot.pause()
        assert "n150" in painted(app)
        table.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        changed = list(rows)
        changed[1] = changed[1]._replace(load=7.5)
        changed[150] = changed[150]._replace(load=9.5)
        table.update_nodes(changed)
        await pilot.pause()
        assert "7.5" in painted(app) and "n150" not in painted(app)
        table.scroll_to(y=150, animate=False, immediate=True)
        await pilot.pause()
        assert "n150" in painted(app) and "9.5" in painted(app)
