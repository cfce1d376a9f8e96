"""Every third-party package that tui/ and widgets/ import is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"tui", "widgets", "__future__"}


def top_level_imports(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Top-level module name -> the files importing it (anywhere in the file)."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies(pyproject: str) -> set[str]:
    """The distribution names in [project] dependencies."""
    requirements = tomllib.loads(pyproject)["project"]["dependencies"]
    return {normalize(re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]) for req in requirements}


def undeclared(
    imports: Mapping[str, set[str]],
    declared: set[str],
    distributions: Mapping[str, list[str]],
) -> list[str]:
    """One line per third-party import whose distribution is not declared."""
    problems = []
    for module, files in sorted(imports.items()):
        if module in FIRST_PARTY or module in sys.stdlib_module_names:
            continue
        names = {normalize(d) for d in distributions.get(module, [])}
        if not names:
            problems.append(f"{module}: no installed distribution provides it ({sorted(files)})")
        elif not names & declared:
            problems.append(f"{module} (from {', '.join(sorted(names))}): {sorted(files)}")
    return problems


def test_every_third_party_import_is_declared() -> None:
    files = [*sorted((ROOT / "tui").rglob("*.py")), *sorted((ROOT / "widgets").rglob("*.py"))]
    imports = top_level_imports(files)
    declared = declared_dependencies((ROOT / "pyproject.toml").read_text())
    assert {"textual", "asyncssh", "aiohttp", "jinja2"} <= set(imports)  # the scan sees them
    assert undeclared(imports, declared, packages_distributions()) == []


def test_an_undeclared_import_is_reported() -> None:
    imports = {"aiohttp": {"tui/app/commands/serve.py"}, "json": {"x"}, "tui": {"y"}}
    declared = declared_dependencies(
        '[project]\ndependencies = ["textual>=8", "aiohttp-jinja2 >=1.6", "Jinja2[i18n]"]\n'
    )
    assert declared == {"textual", "aiohttp-jinja2", "jinja2"}
    assert undeclared(imports, declared, {"aiohttp": ["aiohttp"]}) == [
        "aiohttp (from aiohttp): ['tui/app/commands/serve.py']"
    ]
    assert undeclared({"nosuch": {"z"}}, declared, {}) == [
        "nosuch: no installed distribution provides it (['z'])"
    ]
