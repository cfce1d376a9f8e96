"""`config check` reports a `key` file that does not exist, for every provider that takes one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.config.check import check_text

WHERE = "/etc/cd.toml"


def problems(text: str, tmp_path: Path) -> list[str]:
    return [str(p) for p in check_text(text, WHERE, state_dir=tmp_path).problems]


def test_slurm_key_that_does_not_exist_is_reported_at_its_line(tmp_path: Path) -> None:
    text = '[providers.s]\ntype = "slurm"\nhost = "login"\nkey = "~/.ssh/no_such_key"\n'
    found = problems(text, tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{WHERE}:4: [providers.s] `key`")
    assert "no_such_key" in found[0] and "not a file" in found[0]


def test_rescale_ssh_key_that_does_not_exist_is_reported_at_its_line(tmp_path: Path) -> None:
    api = tmp_path / "api"
    api.write_text("token\n")
    text = (
        f'[providers.r]\ntype = "rescale"\napi_key_file = "{api}"\n'
        f'ssh_key = "{tmp_path / "gone"}"\n'
    )
    found = [p for p in problems(text, tmp_path) if "ssh_key" in p]
    assert len(found) == 1, problems(text, tmp_path)
    assert found[0].startswith(f"{WHERE}:4: [providers.r] `ssh_key`")


@pytest.mark.parametrize("level", ["provider", "cluster"])
def test_inventory_key_that_does_not_exist_is_reported_at_its_line(
    tmp_path: Path, level: str
) -> None:
    missing = f'key = "{tmp_path / "gone"}"\n'
    text = (
        '[providers.i]\ntype = "inventory"\n'
        + (missing if level == "provider" else "")
        + '[[providers.i.clusters]]\nname = "c"\n'
        + (missing if level == "cluster" else "")
        + '[[providers.i.clusters.nodes]]\nhost = "n1"\n'
    )
    line = 3 if level == "provider" else 5
    found = problems(text, tmp_path)
    assert any(p.startswith(f"{WHERE}:{line}: [providers.i]") and "gone" in p for p in found), found


def test_an_existing_key_passes(tmp_path: Path) -> None:
    key = tmp_path / "id"
    key.write_text("x")
    text = f'[providers.s]\ntype = "slurm"\nhost = "login"\nkey = "{key}"\n'
    assert problems(text, tmp_path) == []
