"""Bugs the fuzz suite (and the scale bench) found, each pinned by its smallest example."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.slurm_text import values
from tui.app.app import ClusterdeckApp
from tui.core.errors import ProviderError
from tui.core.providers.slurm.hostlist import HostlistError, expand_hostlist
from tui.core.providers.slurm.log import output_path
from tui.core.providers.slurm.parse import SlurmJob, number, parse_sinfo
from tui.core.providers.slurm.squeue_text import FIELDS, TextQuery
from tui.core.providers.slurm.view import time_left, to_job
from widgets.terminal.model import TerminalModel


def test_a_wide_character_survives_a_resize_to_one_column() -> None:
    """pyavt panicked (a BaseException, past every `except Exception`) when a screen holding a
    wide character was resized to one column: the emulator keeps at least two."""
    model = TerminalModel(2, 1)
    model.feed("漢".encode())
    model.resize(1, 1)
    model.feed("字\r\n".encode())
    assert model.emulator.size[0] >= 2
    model.resize(3, 2)
    assert model.emulator.size == (3, 2)


def test_del_is_ignored_as_a_terminal_does() -> None:
    """pyavt drew DEL (0x7f) as a character: the screen showed a control character and the
    cells after it were one column off in the painted row."""
    model = TerminalModel(10, 2)
    model.feed(b"a\x7fb\x1b[1\x7f;3Hc\x1b]0;t\x7fitle\x07")
    assert model.screen_lines() == ["abc", ""]
    assert model.scanner.title == "title"


def _history(model: TerminalModel) -> list[str]:
    emulator = model.emulator
    return ["".join(emulator.line_cells(i)).rstrip() for i in range(emulator.history_size)]


def test_lines_scrolled_off_before_the_alternate_screen_reach_the_scrollback() -> None:
    """pyavt reports the lines a feed scrolled off only when the feed ends on the primary
    screen: output and a switch to the alternate screen in one read (`git log` starting its
    pager) left them out of the scrollback until the program left it, and lost them for good
    on a reset (RIS) there. The same bytes in two reads kept them."""
    for switch in (b"\x1b[?47h", b"\x1b[?1;1049h", b"\x1b[?1047h"):
        whole, split = TerminalModel(2, 1), TerminalModel(2, 1)
        whole.feed(b"000" + switch)
        split.feed(b"000")
        split.feed(switch)
        assert _history(whole) == _history(split) == ["00"]
        whole.feed(b"\x1bc")
        assert _history(whole) == ["00"]


def _listed(**fields: str) -> tuple[SlurmJob, ...]:
    """One running job as squeue's text form prints it, with `fields` replaced, read back."""
    started = datetime.fromtimestamp(1_795_554_469, UTC)
    base = values(SlurmJob(job_id="7", name="x", user="u", state="RUNNING", started=started))
    return _read(TextQuery.fresh(), {**base, **fields})


def _read(query: TextQuery, record: dict[str, str]) -> tuple[SlurmJob, ...]:
    return query.parse(query.field_sep.join(record[f] for f in FIELDS) + query.record_end + "\n")


NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("limit", "shown"),
    [
        ("UNLIMITED", "no time limit"),  # Slurm's INFINITE (0xffffffff)
        ("N/A", "no time limit"),  # NO_VAL
        ("4294967295", ""),  # past the year 9999: no time left to show
        (f"{10**18}-00:00:00", ""),
        (str(2**64), ""),
    ],
)
def test_an_unlimited_or_huge_time_limit_is_no_time_limit(limit: str, shown: str) -> None:
    """Slurm's INFINITE and NO_VAL time limits, and bigger ones, made `time_left` overflow a
    date (OverflowError): the job list failed."""
    [record] = _listed(TimeLimit=limit)
    assert time_left(record, NOW) is None
    assert to_job(record, "slurm", NOW).status_detail == shown


@pytest.mark.parametrize("job_id", ["inf", "nan", "1e400", "[" * 3000 + "]" * 3000])
def test_an_odd_job_id_from_squeue_is_a_provider_error(job_id: str) -> None:
    with pytest.raises(ProviderError):
        _listed(JobID=job_id)


def test_odd_json_is_a_provider_error_and_a_non_finite_number_is_unset() -> None:
    with pytest.raises(ProviderError):  # RecursionError in json.loads
        parse_sinfo("[" * 3000 + "]" * 3000)
    assert number(float("inf")) is None and number(float("nan")) is None  # not int() errors


def test_a_non_finite_number_is_unset() -> None:
    [record] = _listed(TimeLimit="inf", NumNodes="nan")
    assert (record.time_limit, record.node_count) == (None, 0)


def test_a_huge_padding_width_in_an_output_pattern_is_bounded() -> None:
    """`%99999999999j` made `zfill` allocate the width (MemoryError, or gigabytes)."""
    for width in ("99999999999", "9" * 5000, "11"):
        [record] = _listed(STDOUT=f"/o/%{width}j.out")
        assert output_path(record) == "/o/0000000007.out"  # Slurm pads to 10 at most
    [record] = _listed(STDOUT="/o/%4j.out")
    assert output_path(record) == "/o/0007.out"


@pytest.mark.parametrize(
    "hostlist",
    [
        "n[1-" + "9" * 5000 + "]",  # ValueError from int(), past its digit limit
        "n[" + ",".join(["0-99998"] * 200) + "]",  # 20 M names built before the cap
    ],
)
def test_a_hostile_hostlist_is_refused_quickly(hostlist: str) -> None:
    start = time.perf_counter()
    with pytest.raises(HostlistError):
        expand_hostlist(hostlist)
    assert time.perf_counter() - start < 2.0
    [record] = _listed(NodeList=hostlist)
    assert record.nodes == ()


async def test_rows_with_the_same_key_show_once_instead_of_raising() -> None:
    """Two rows with one key (a Rescale job listed on two pages while the list shifted, two
    MPI_MASTER instances, a repeated squeue entry) raised DuplicateKey out of
    `sync_rows`, in the dashboard's message handler: the app died."""
    from textual.app import App, ComposeResult

    from widgets.tables.job import JobRow, JobTable
    from widgets.tables.node import NodeRow, NodeTable

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield JobTable()
            yield NodeTable()

    app = Host()
    async with app.run_test() as pilot:
        jobs, nodes = app.query_one(JobTable), app.query_one(NodeTable)
        first, again = JobRow("r:1", "one", "running"), JobRow("r:1", "two", "failed")
        jobs.update_jobs([first, JobRow("r:2", "b", "queued"), again])
        nodes.update_nodes([NodeRow("master", "master", "m", "1:22", "running")] * 2)
        await pilot.pause()
        assert jobs.row_keys == ["r:1", "r:2"] and nodes.row_keys == ["master"]
        assert str(jobs.get_cell("r:1", "name")) == "one"
        jobs.update_jobs([again, first])
        await pilot.pause()
        assert jobs.row_keys == ["r:1"] and str(jobs.get_cell("r:1", "name")) == "two"


@pytest.mark.parametrize("field", ["nodes", "addresses", "hostnames"])
@pytest.mark.parametrize("value", [True, 5, {"a": 1}, None])
def test_a_sinfo_group_whose_node_lists_are_not_lists_has_no_nodes(field: str, value: Any) -> None:
    """`{"nodes": {"addresses": true}}` in a 23.11 sinfo group raised TypeError."""
    members = {"nodes": ["cn1"], "addresses": ["10.0.0.1"], "hostnames": ["h1"], field: value}
    reply = parse_sinfo(json.dumps({"sinfo": [{"nodes": members}]}))
    assert [n.name for n in reply.nodes] == ([] if field == "nodes" else ["cn1"])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('# a top-level key\ntheme = "dark"\n', 2),  # "unknown section [theme]"
        ("[demo]\nseed = 1\nui.theme = 5\n", 3),  # dotted key
        ("\n\nui = { theme = 5 }\n", 3),  # inline table
        ('\n"ui".theme = 5\n', 2),
        ("[ui]\n\nsub.x = 1\n", 3),  # unknown key written dotted
        ("\nkeys.quit = 5\n", 2),
        ('\nproviders = { x = { type = "nope" } }\n', 2),
        ('\n\nproviders.x.type = "nope"\n', 3),
    ],
)
def test_every_problem_names_its_line_however_the_key_is_written(text: str, line: int) -> None:
    """Keys written dotted, in inline tables or at the top level were reported without a
    line (`config check` promises file:line for every problem)."""
    from tui.core.config.check import check_text
    from tui.core.config.settings import parse_settings
    from tui.core.errors import ConfigError

    assert [problem.line for problem in check_text(text, "c.toml").problems] == [line]
    with pytest.raises(ConfigError) as raised:
        parse_settings(text, "c.toml")
    assert raised.value.line == line


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_separator_in_a_comment_or_string_does_not_shift_lines(separator: str) -> None:
    """`str.splitlines()` also splits at U+2028, NEL and others, which TOML allows in comments
    and strings: `config check` then saw a syntax error that is not there, and both it and
    the loader named lines past the end of the file."""
    from tui.core.config.check import check_text
    from tui.core.config.settings import parse_settings
    from tui.core.errors import ConfigError

    text = f'# a{separator}b\n[ui]\ntheme = "x{separator}y"\nbogus = 1\n'
    assert [problem.line for problem in check_text(text, "c.toml").problems] == [4]
    with pytest.raises(ConfigError) as raised:
        parse_settings(text, "c.toml")
    assert raised.value.line == 4


@pytest.mark.parametrize(
    ("text", "line"),
    [('\n[providers."we ird"]\n', 2), ("\n[ui.sub]\n", 2), ("[ui]\n\n[ui.sub.x]\n", 3)],
)
def test_a_table_named_dotted_or_quoted_has_its_line(text: str, line: int) -> None:
    from tui.core.config.check import check_text

    assert [problem.line for problem in check_text(text, "c.toml").problems] == [line]


async def test_time_warnings_skip_a_shell_tab_still_mounting(
    app_factory: Callable[..., ClusterdeckApp],
) -> None:
    """Found by tests/bench/bench_scale.py (50 shells): a poll's time warnings arriving while a
    new tab's pane was in the DOM but its terminal not yet mounted raised NoMatches in
    `set_time_warnings` (the tabs after it missed the warning, the error was logged), and
    `active_view` raised the same for such a tab."""
    from textual.widgets import TabbedContent, TabPane

    app = app_factory()
    async with app.run_test() as pilot:
        await app.push_screen(app.terminals)
        app.terminals._jobs["shell-mounting"] = "demo:4207"  # what open_tab notes first
        await app.terminals.query_one(TabbedContent).add_pane(TabPane("x", id="shell-mounting"))
        app.terminals.set_time_warnings({"demo:4207": "5 min left"})
        await pilot.pause()
        assert app.terminals.active_view is None


@pytest.mark.parametrize(
    ("text", "line"), [("\n\nui = []\n", 3), ('\nproviders = [{ type = "x" }]\n', 2)]
)
def test_a_section_written_as_an_array_value_has_its_line(text: str, line: int) -> None:
    """`ui = []` (an array, not `[[ui]]`) was reported without a line."""
    from tui.core.config.check import check_text

    assert [problem.line for problem in check_text(text, "c.toml").problems] == [line]
