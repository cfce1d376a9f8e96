"""Building the Rescale provider from its config section: regions, base URLs, numbers, repr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui.core.clock import ManualClock
from tui.core.errors import ConfigError, ProviderAuthError
from tui.core.providers.base import Capability, ProviderContext, provider_class
from tui.core.providers.rescale.credentials import ENV_VAR, apiconfig_path
from tui.core.providers.rescale.provider import RescaleProvider, check_base_url


def context(tmp_path: Path, name: str = "work") -> ProviderContext:
    return ProviderContext(tmp_path / "state", tmp_path / "known_hosts", ManualClock(), name)


def build(tmp_path: Path, **options: Any) -> RescaleProvider:
    provider = RescaleProvider.create(options, context(tmp_path))
    assert isinstance(provider, RescaleProvider)
    return provider


def test_the_entry_point_finds_the_provider() -> None:
    assert provider_class("rescale") is RescaleProvider


def test_defaults_and_name_from_the_section(tmp_path: Path) -> None:
    provider = build(tmp_path)
    assert provider.name == "work"
    assert provider.base_url == "https://platform.rescale.com" and provider.region == "platform"
    assert (provider.poll_interval, provider.tail_interval, provider.tail_lines) == (10, 5, 500)
    assert provider.capabilities == frozenset(Capability)
    assert set(RescaleProvider.OPTIONS) == {
        "region",
        "base_url",
        "api_key_file",
        "profile",
        "ssh_key",
        "poll_interval",
        "tail_interval",
        "tail_lines",
        "timeout",
        "retries",
    }


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("platform", "https://platform.rescale.com"),
        ("eu", "https://eu.rescale.com"),
        ("jp", "https://platform.rescale.jp"),
        ("kr", "https://kr.rescale.com"),
        ("itar", "https://itar.rescale.com"),
    ],
)
def test_regions(tmp_path: Path, region: str, url: str) -> None:
    provider = build(tmp_path, region=region)
    assert (provider.base_url, provider.region) == (url, region)


def test_base_url_overrides_the_region(tmp_path: Path) -> None:
    provider = build(tmp_path, region="eu", base_url="https://kr.rescale.com/")
    assert provider.base_url == "https://kr.rescale.com" and provider.region == "kr"
    assert build(tmp_path, base_url="http://127.0.0.1:8080").region == "custom"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://platform.rescale.com", "must use https"),
        ("ftp://x", "must look like"),
        ("https://platform.rescale.com/api/v2/", "only scheme and host"),
        ("platform.rescale.com", "must look like"),
    ],
)
def test_bad_base_urls_are_config_errors(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_base_url(url)


def test_http_is_allowed_to_loopback_only() -> None:
    assert check_base_url("http://localhost:9") == "http://localhost:9"
    assert check_base_url("http://[::1]:9") == "http://[::1]:9"


@pytest.mark.parametrize(
    ("key", "value"), [("tail_lines", 5), ("tail_interval", 0), ("timeout", 0), ("retries", 11)]
)
def test_out_of_range_numbers_are_config_errors(tmp_path: Path, key: str, value: int) -> None:
    with pytest.raises(ConfigError, match=key):
        build(tmp_path, **{key: value})


def test_paths_expand_the_home_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rescale").write_text("key")  # a missing ssh_key is a config error
    provider = build(tmp_path, api_key_file="~/k", ssh_key="~/.ssh/id_rescale")
    assert provider.api_key_file == Path.home() / "k"
    assert provider.ssh_key == Path.home() / ".ssh" / "id_rescale"


async def test_start_without_a_key_explains_where_keys_come_from(tmp_path: Path) -> None:
    provider = build(tmp_path)
    with pytest.raises(ProviderAuthError, match=ENV_VAR):
        await provider.start()
    await provider.close()


async def test_the_profile_base_url_is_used_when_nothing_else_says(
    tmp_path: Path,
) -> None:
    path = apiconfig_path()
    path.parent.mkdir(parents=True)
    path.write_text("[default]\napikey = k-123\napibaseurl = https://eu.rescale.com\n")
    provider = build(tmp_path)
    await provider.start()
    try:
        assert provider.base_url == "https://eu.rescale.com"
        assert "k-123" not in repr(provider)
    finally:
        await provider.close()
    assert build(tmp_path, region="jp").base_url == "https://platform.rescale.jp"
