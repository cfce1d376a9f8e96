"""Providers are found through the `clusterdeck.providers` entry-point group."""

from __future__ import annotations

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
