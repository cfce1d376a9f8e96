"""Providers are found through the `clusterdeck.providers` entry-point group."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tui.core.errors import ConfigError
from tui.core.providers.base import Provider, provider_class
from tui.core.providers.demo.provider import DemoProvider


def test_demo_is_registered_as_an_entry_point() -> None:
    cls = provider_class("demo")
    assert cls is DemoProvider
    assert issubclass(cls, Provider)


def test_unknown_provider_type_lists_the_installed_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown provider type 'nope'.*demo"):
        provider_class("nope")


def test_demo_is_built_from_its_config_section(tmp_path: Path) -> None:
    from tui.core.clock import ManualClock
    from tui.core.providers.base import ProviderContext

    state = tmp_path
    context = ProviderContext(state, state / "known_hosts", ManualClock())
    provider = provider_class("demo").create({"seed": 9, "speed": 3.0}, context)
    assert isinstance(provider, DemoProvider)
    assert provider.key_path == state / "demo" / "id_ed25519"


def test_capability_notes_name_the_provider_or_member(tmp_path: Path) -> None:
    from tui.core.clock import ManualClock
    from tui.core.models import Job, JobState
    from tui.core.providers.base import (
        Capability,
        CompositeProvider,
        ProviderContext,
        capability_note,
    )
    from tui.core.providers.group import ProviderGroup

    class JobsOnly(DemoProvider):
        capabilities = frozenset({Capability.JOBS})

    context = ProviderContext(tmp_path, tmp_path / "known_hosts", ManualClock())
    demo, bare = DemoProvider.create({}, context), JobsOnly.create({}, context)
    assert capability_note(demo, Capability.SHELL) is None
    assert capability_note(demo, Capability.STOP_JOB) == (
        "The demo provider cannot do that (stop-job)."
    )
    assert (
        capability_note(bare, Capability.SHELL) == "The demo provider offers no shell on its nodes."
    )
    assert capability_note(bare, Capability.LOGS) == "no logs for this provider"
    group = ProviderGroup([("lab", demo), ("plain", bare)])
    assert isinstance(group, CompositeProvider) and set(group.members) == {"lab", "plain"}
    assert group.capabilities >= {Capability.SHELL, Capability.LOGS}
    job = Job("1", "run", JobState.RUNNING)
    assert capability_note(group, Capability.SHELL, replace(job, provider="lab")) is None
    assert capability_note(group, Capability.SHELL, replace(job, provider="plain")) == (
        "The plain provider offers no shell on its nodes."
    )
    assert capability_note(group, Capability.LOGS, replace(job, provider="plain")) == (
        "no logs for this provider"
    )
    assert not isinstance(demo, CompositeProvider)


def test_the_built_in_types_are_the_entry_points_pyproject_registers() -> None:
    """`provider_class` finds the built-ins without reading package metadata (start-up time)."""
    import tomllib
    from importlib.metadata import entry_points

    from tui.core.providers.base import BUILT_IN, ENTRY_POINT_GROUP

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"][ENTRY_POINT_GROUP] == BUILT_IN
    installed = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {name: installed[name] for name in BUILT_IN} == BUILT_IN
    for kind in BUILT_IN:
        assert issubclass(provider_class(kind), Provider)


def test_starting_the_app_reads_no_package_metadata_nor_imports_httpx() -> None:
    """The demo's start-up path stays lean: importing the app and finding the demo provider
    neither imports importlib.metadata (some 50 ms) nor httpx (which only the Rescale
    provider and the public-address guard use, when they first need it)."""
    import subprocess
    import sys

    code = (
        "import sys, tui.app.app, tui.app.factory\n"
        "from tui.core.providers.base import provider_class\n"
        "provider_class('demo')\n"
        "print(sorted(m for m in ('httpx', 'importlib.metadata', "
        "'tui.core.providers.rescale.provider', 'tui.core.providers.slurm.provider') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
