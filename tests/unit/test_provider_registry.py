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
