"""A job's API files (flat relative paths) as one folder level at a time, names inert."""

from __future__ import annotations

from tui.app.screens.files.api_listing import api_rows, entries_in, parent_of
from tui.core.providers.files import JobFile

FILES = [
    JobFile("results/a/deep.csv", 10),
    JobFile("results/forces.csv", 2_000),
    JobFile("log\x1b.txt", None, live=True),
]


def test_top_level_has_folders_first_and_no_parent_row() -> None:
    rows = api_rows(entries_in(FILES, ""), at_top=True)
    assert [r.key for r in rows] == ["results", "log\x1b.txt"]
    assert rows[0].name == "results/" and rows[1].name == "log\\x1b.txt"
    assert rows[1].size == "" and rows[1].mode == "live"  # a live file has no listed size


def test_a_folder_lists_its_own_files_and_subfolders() -> None:
    rows = api_rows(entries_in(FILES, "results"), sort="size")
    assert [r.key for r in rows] == ["..", "a", "forces.csv"]
    assert rows[2].size == "2.0 KB" and rows[2].mode == "stored"
    assert parent_of("results/a") == "results" and parent_of("results") == ""
