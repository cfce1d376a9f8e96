"""The README documents what the app really has: every key and the test command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.binding import Binding

from tui.app.bindings import (
    TEXTUAL_KEYS,
    all_keys,
    binding_owners,
    known_binding_ids,
    main,
    markdown_table,
)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_keys_table() -> str:
    lines = README.splitlines()
    start = lines.index("| Key | Where | Does | Binding id |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end]) + "\n"


def test_the_readme_keys_table_is_the_generated_one() -> None:
    """Regenerate it with `python -m tui.app.bindings --markdown`."""
    assert readme_keys_table() == markdown_table(all_keys())


def test_the_module_prints_the_markdown_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table(all_keys())


def test_rows_are_read_off_the_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    from widgets.log.view import LogView

    added = Binding("ctrl+g", "goto", "Go", id="log-goto", tooltip="Go to a line")
    monkeypatch.setattr(LogView, "BINDINGS", [*LogView.BINDINGS, added])
    rows = {row.id: row for row in all_keys()}
    assert (rows["log-goto"].keys, rows["log-goto"].where) == ("ctrl+g", "log")
    assert rows["log-goto"].description == "Go to a line"
    assert rows["focus-log"].description == "Log"  # no tooltip: the footer description
    assert "log-goto" in known_binding_ids()


def test_an_alias_of_a_listed_action_is_not_a_row_but_its_id_is_known() -> None:
    ids = [row.id for row in all_keys()]
    assert "quit" in ids and "quit-ctrl-c" not in ids
    assert "quit-ctrl-c" in known_binding_ids()
    assert len(ids) == len(set(ids))


def test_known_ids_are_every_binding_id_of_every_screen_and_widget() -> None:
    owners = {cls.__qualname__ for cls in binding_owners()}
    assert {"ClusterdeckApp", "MainScreen", "KeysScreen", "TunnelDialog", "LogView"} <= owners
    assert {"TerminalView", "HelpScreen", "FormDialog", "TextDialog"} <= owners
    declared = {
        binding.id
        for owner in binding_owners()
        for binding in vars(owner)["BINDINGS"]
        if isinstance(binding, Binding) and binding.id
    }
    assert {"confirm-yes", "tunnel-dialog-cancel", "keys-generate", "help-close"} <= declared
    assert known_binding_ids() == declared | {row.id for row in TEXTUAL_KEYS}
    assert {row.id for row in all_keys()} <= known_binding_ids()


def test_ci_runs_the_readme_test_command() -> None:
    assert "bash tests/run.sh" in README
    assert "tests/run.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_screenshot_in_the_readme_exists() -> None:
    for path in re.findall(r"\]\((screenshots/[^)]+)\)", README):
        assert (ROOT / path).is_file(), path
