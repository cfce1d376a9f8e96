"""JobTable and NodeTable in tiny host apps: rows by key, cursor kept, messages up."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.message import Message

from widgets.tables.job import JobRow, JobTable
from widgets.tables.node import NodeRow, NodeTable


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield JobTable()
        yield NodeTable()

    @on(JobTable.JobHighlighted)
    @on(JobTable.JobSelected)
    @on(NodeTable.NodeHighlighted)
    @on(NodeTable.OpenShellRequested)
    def record(self, event: Message) -> None:
        self.seen.append(event)


def jobs(*names: str, state: str = "running") -> list[JobRow]:
    return [JobRow(key=f"k-{n}", name=n, state=state, tone="active") for n in names]


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
        running = table.get_cell("r", "state")
        failed = table.get_cell("f", "state")
        assert running.style != failed.style
        assert failed.style.color is not None and failed.style.bold


async def test_j_k_browse_and_messages_go_up() -> None:
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
        highlighted = [m.key for m in app.seen if isinstance(m, JobTable.JobHighlighted)]
        selected = [m.key for m in app.seen if isinstance(m, JobTable.JobSelected)]
        assert highlighted[-1] == "k-a"
        assert selected == ["k-a"]


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
        requests = [m.key for m in app.seen if isinstance(m, NodeTable.OpenShellRequested)]
        assert requests == ["worker-1"]
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
