"""DESIGN.md's dependency direction, enforced: the core has no UI, widgets never import the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file, including inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _is_core(module: str) -> bool:
    return module.startswith("tui.core")


def _hits(imported: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported if any(m == f or m.startswith(f + ".") for f in forbidden))


WIDGET_FILES = sorted((ROOT / "widgets").rglob("*.py"))
CORE_FILES = [p for p in sorted((ROOT / "tui").rglob("*.py")) if _is_core(_module_name(p))]
ASYNCSSH_HOMES = ("tui.core.ssh", "tui.core.identity", "tui.core.providers.demo")
"""The only packages that may import asyncssh (the demo's nodes are SSH servers themselves)."""
NOT_ASYNCSSH_FILES = [
    p for p in sorted((ROOT / "tui").rglob("*.py")) if not _hits({_module_name(p)}, ASYNCSSH_HOMES)
]


@pytest.mark.parametrize("path", WIDGET_FILES, ids=lambda p: _module_name(p))
def test_widgets_never_import_the_app_or_services(path: Path) -> None:
    assert _hits(_imports(path), ("tui", "asyncssh", "pyperclip", "httpx")) == []


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: _module_name(p))
def test_core_has_no_ui(path: Path) -> None:
    forbidden = ("textual", "widgets", "tui.app.app", "tui.app.screens", "tui.app.cli")
    assert _hits(_imports(path), forbidden) == []


@pytest.mark.parametrize("path", NOT_ASYNCSSH_FILES, ids=lambda p: _module_name(p))
def test_asyncssh_is_imported_only_by_the_ssh_layer(path: Path) -> None:
    """Providers, tunnels, the clipboard and the app go through `tui.core.ssh` (the pool)."""
    assert _hits(_imports(path), ("asyncssh",)) == []


def test_the_rules_see_real_files() -> None:
    """Guard against the globs silently matching nothing."""
    assert len(WIDGET_FILES) >= 3
    assert any(_module_name(p) == "tui.core.providers.base" for p in CORE_FILES)
    checked = {_module_name(p) for p in NOT_ASYNCSSH_FILES}
    assert {"tui.core.tunnels.forward", "tui.core.providers.slurm.log", "tui.app.app"} <= checked
    assert not checked & {"tui.core.ssh.pool", "tui.core.identity.keyfiles"}
    assert any(
        "textual" in _imports(p) or "textual.app" in _imports(p)
        for p in (ROOT / "tui").rglob("app.py")
    )


def test_a_forbidden_import_is_detected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tui.app.app import ClusterdeckApp\n    import asyncssh\n")
    assert _hits(_imports(bad), ("tui", "asyncssh")) == ["asyncssh", "tui.app.app"]
