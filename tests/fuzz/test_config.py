"""Fuzz the config file: random and mutated TOML through `check_text` and `parse_settings`.

Documents are slices and samples of the starter config with every example turned on, then
mutated line by line: values replaced by any TOML value (or broken ones), junk characters put
in, lines dropped, repeated or swapped, and statements added that write the same settings
another way (dotted keys, inline tables, arrays of tables, quoted keys) or break the syntax.

Properties:
- `parse_settings` returns settings or raises `ConfigError`, whose line (when it names one) is
  a line of the file;
- `check_text` returns a report (it never raises) and every problem in it names a line of the
  file (TOML lines: the file split at LF);
- the two agree: a file `parse_settings` rejects has a problem in the report, and a report with
  no problem means `parse_settings` accepts the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import fuzz
from tui.core.config.check import check_text
from tui.core.config.settings import Settings, parse_settings
from tui.core.config.template import STARTER_CONFIG
from tui.core.errors import ConfigError

EXAMPLE = re.compile(r"^# (\[|[\w-]+ = |\s+[{\"]|\])")
TEMPLATE = [line[2:] if EXAMPLE.match(line) else line for line in STARTER_CONFIG.splitlines()]
WHERE = "/home/ada/.config/clusterdeck/config.toml"

VALUES = (
    *("true", "false", "0", "-1", "1", "2147483648", "99999999999999999999", "0x7f"),
    *("1e999", "nan", "-inf", "0.0001", '""', '"x"', "'literal'", '"\\u0000"', '"\\x"'),
    *('"""\nmulti\nline\n"""', "[]", '[1, "a", [2]]', "{}", "{ a = 1 }", "1979-05-27T07:32:00Z"),
    *("07:32:00", '"ctrl+"', '"q,,w"', '"platform"', '"demo"', '"slurm"', '"inventory"'),
    *('"rescale"', '"~/.ssh/none"', '"/dev/null"', '"a\u2028b"', "tru", '"unterminated', "[1,"),
)
STATEMENTS = (
    *("ui.theme = 5", "ui = { theme = 5 }", "[[ui]]", "[ui.sub]", "[providers]", "providers = 5"),
    *("[providers.x]", 'type = "nope"', '[providers."we ird"]', "'quoted' = 1", '"ui".theme = 1'),
    *("[ ui ]", "= 5", "[", "]]", "a.b.c.d = 1", "[keys]", "quit = 5", "[demo] # a comment"),
    *("\t[demo]", "[providers.m]", 'type = "inventory"', "[[providers.m.clusters]]", 'name = "x"'),
    *("nodes = [{ host = 5 }]", 'nodes = ["a@b:99999"]', "clusters = 5", "[providers.m.clusters]"),
    *("# a comment \u2028 with a line separator", "# NEL \x85 in a comment", "\ufeff", "", "  "),
    *('providers.y.type = "slurm"', "[providers.y]", "[unknown]", "[identity]", "x = 1"),
)

junk = st.sampled_from([*"[]{}=\"'#.,\\\n\t \x00\x7f\x85\u2028", "\r\n", "\r", "\ufffd"])


@st.composite
def mutate_line(draw: st.DrawFn, line: str) -> list[str]:
    """A line, changed one way (as a list: it may become none, or two)."""
    roll = draw(st.integers(0, 7))
    if roll == 0:
        return []
    if roll == 1:
        return [line, line]
    if roll == 2 and "=" in line:
        return [line.split("=", 1)[0] + "= " + draw(st.sampled_from(VALUES))]
    if roll == 3:
        at = draw(st.integers(0, len(line)))
        return [line[:at] + draw(junk) + line[at:]]
    if roll == 4:
        return [line, draw(st.sampled_from(STATEMENTS))]
    if roll == 5:
        return [line[: draw(st.integers(0, len(line)))]]
    return [line]


@st.composite
def documents(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    if draw(st.booleans()):
        start = draw(st.integers(0, len(TEMPLATE) - 1))
        lines = TEMPLATE[start : start + draw(st.integers(1, 25))]
    else:
        lines = draw(st.lists(st.sampled_from(TEMPLATE + list(STATEMENTS)), max_size=20))
    out: list[str] = []
    for line in lines:
        out.extend(draw(mutate_line(line)) if draw(st.integers(0, 3)) == 0 else [line])
    if out and draw(st.integers(0, 1)) == 1:
        i, j = draw(st.integers(0, len(out) - 1)), draw(st.integers(0, len(out) - 1))
        out[i], out[j] = out[j], out[i]
    return "\n".join(out) + draw(st.sampled_from(["\n", "", "\n\n"]))


def file_lines(text: str) -> int:
    """Lines of the file as TOML counts them (LF ends a line; a last one may lack it)."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def parse(text: str, state: Path) -> Settings | ConfigError:
    try:
        return parse_settings(text, WHERE, state_dir=state)
    except ConfigError as exc:
        return exc


@fuzz(ci=150)
@given(text=documents())
def test_parse_settings_gives_settings_or_a_located_config_error(text: str, tmp_path: Path) -> None:
    result = parse(text, tmp_path)
    if isinstance(result, ConfigError) and result.line is not None:
        assert 1 <= result.line <= file_lines(text), (result.line, str(result))


@fuzz(ci=120)
@given(text=documents())
def test_check_reports_every_problem_on_a_line_of_the_file(text: str, tmp_path: Path) -> None:
    report = check_text(text, WHERE, state_dir=tmp_path)
    for problem in report.problems:
        assert isinstance(problem, ConfigError)
        assert problem.line is not None, f"no line: {problem}"
        assert 1 <= problem.line <= file_lines(text), (problem.line, str(problem))
    parsed = parse(text, tmp_path)
    if isinstance(parsed, ConfigError):
        assert report.problems, f"parse_settings refused it ({parsed}), check found nothing"
    if not report.problems:
        assert isinstance(parsed, Settings), f"check found nothing, parse_settings: {parsed}"
