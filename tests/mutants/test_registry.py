"""The list of deliberate bugs cannot rot: every snippet is still in its file, every test exists."""

from __future__ import annotations

import ast

import pytest

from tests.mutants.run import ROOT, Mutant, load

MUTANTS = load()


def test_the_registry_lists_mutants_with_unique_names() -> None:
    assert len(MUTANTS) >= 5


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_snippet_is_still_in_its_file_once(mutant: Mutant) -> None:
    source = (ROOT / mutant.file).read_text(encoding="utf-8")
    assert source.count(mutant.find) == 1, f"update {mutant.name} in tests/mutants/mutants.toml"
    if mutant.file.endswith(".py"):
        ast.parse(mutant.apply(source))  # the mutant is a bug, not a syntax error


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_named_tests_exist(mutant: Mutant) -> None:
    for node in mutant.tests:
        file, _, name = node.partition("::")
        path = ROOT / file
        assert path.is_file(), f"{mutant.name}: no {file}"
        if name:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            defined = {
                n.name
                for n in ast.walk(tree)
                if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)
            }
            assert name.split("[")[0] in defined, f"{mutant.name}: no test {name} in {file}"
