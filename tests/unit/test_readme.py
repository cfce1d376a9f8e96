"""The README documents what the app really has: every key and the test command CI runs."""

from __future__ import annotations

from pathlib import Path

from tui.app.bindings import all_keys, display_keys

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_binding_is_in_the_keys_table() -> None:
    for spec in all_keys():
        keys = " ".join(f"`{k}`" for k in display_keys(spec.keys).split(" "))
        assert f"| {keys} | {spec.where} | {spec.description} | `{spec.id}` |" in README


def test_ci_runs_the_readme_test_command() -> None:
    assert "bash tests/run.sh" in README
    assert "tests/run.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_screenshot_in_the_readme_exists() -> None:
    import re

    for path in re.findall(r"\]\((screenshots/[^)]+)\)", README):
        assert (ROOT / path).is_file(), path
