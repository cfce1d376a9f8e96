"""`config check` knows the app's binding ids and themes, and start-up names the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.cli import main


def test_check_reports_unknown_binding_ids_and_themes_with_their_lines(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "names.toml"
    path.write_text(
        '[ui]\ntheme = "no-such-theme"\n\n[keys]\nfocus-log = "L"\nno-such-binding = "z"\n'
        'quitt = "ctrl+q"\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:2: [ui] theme 'no-such-theme' is not a theme; ")
    assert "textual-dark" in out[0] and "gruvbox" in out[0]
    assert out[1].startswith(f"{path}:6: [keys] unknown binding id 'no-such-binding'; ")
    assert out[2].startswith(f"{path}:7: [keys] unknown binding id 'quitt'; did you mean 'quit'?")
    assert out[3:] == [f"3 problems in {path}"]


def test_known_ids_and_themes_pass(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = isolated_home / "good.toml"
    path.write_text('[ui]\ntheme = "gruvbox"\n\n[keys]\nfocus-log = "L"\nbrowse = "j"\n')
    assert main(["config", "check", "--config", str(path)]) == 0
    assert capsys.readouterr().out.startswith("config OK: ")


def test_a_missing_key_file_is_on_the_same_line_at_check_and_at_start(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "key.toml"
    path.write_text(
        '[providers.machines]\ntype = "inventory"\nkey = "/nonexistent/id_ed25519"\n'
        'clusters = [{ name = "lab", nodes = ["10.1.2.3"] }]\n'
    )
    assert main(["config", "check", "--config", str(path)]) == 2
    checked = capsys.readouterr().out.splitlines()[0]
    assert checked.startswith(f"{path}:3: [providers.machines] `key` /nonexistent/id_ed25519 ")
    assert main(["--config", str(path)]) == 2  # start-up stops before the app runs
    started = capsys.readouterr().err.strip()
    assert started == f"clusterdeck: {checked}"
