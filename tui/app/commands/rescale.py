"""`clusterdeck rescale check`: whose API key, which platform, how many jobs; or what is wrong.

It builds each Rescale provider exactly as the dashboard does and makes two requests, once each
(`users/me/` and a one-item page of `jobs/`). Without a rescale provider in the config it checks
Rescale's defaults: `RESCALE_API_KEY` or `~/.config/rescale/apiconfig`, region platform. Text from
the network is printed with control characters escaped, and the key itself never.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, replace
from typing import TextIO

from tui.app.factory import build_provider
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.errors import ConfigError, ProviderAuthError, ProviderError
from tui.core.printable import printable
from tui.core.providers.rescale.api import RescaleKeyRejected, RescaleUnreachable
from tui.core.providers.rescale.credentials import (
    ENV_VAR,
    RescaleNoKey,
    apiconfig_path,
    load_api_key,
    read_key_file,
    read_profile,
)
from tui.core.providers.rescale.provider import RescaleProvider

DEFAULT_NAME = "rescale"


def rescale_providers(settings: Settings, only: str | None) -> list[ProviderConfig]:
    """The configured rescale providers (or `only`); Rescale's defaults when none is configured.

    Raises:
        ConfigError: `only` names no provider, or one of another type.
    """
    where = str(settings.config_path) if settings.config_path else None
    if only is not None:
        for provider in settings.providers:
            if provider.name == only:
                if provider.type != "rescale":
                    raise ConfigError(
                        f"[providers.{only}] is a {provider.type} provider, not rescale",
                        path=where,
                        line=provider.line,
                    )
                return [provider]
        names = ", ".join(p.name for p in settings.providers if p.type == "rescale") or "none"
        raise ConfigError(f"no provider named {only!r}; rescale providers: {names}", path=where)
    found = [p for p in settings.providers if p.type == "rescale"]
    return found or [ProviderConfig(DEFAULT_NAME, "rescale")]


def run_rescale_check(
    settings: Settings, *, only: str | None = None, out: TextIO | None = None
) -> int:
    """Check each rescale provider and print the report; 0 when all are fine, else 1."""
    out = out or sys.stdout
    configured = any(p.type == "rescale" for p in settings.providers)
    status = 0
    for chosen in rescale_providers(settings, only):
        lines, fine = asyncio.run(check_provider(settings, chosen, configured=configured))
        for line in lines:
            print(printable(line), file=out)
        status = max(status, 0 if fine else 1)
    print("rescale check: OK" if status == 0 else "rescale check: problem found", file=out)
    return status


async def check_provider(
    settings: Settings, chosen: ProviderConfig, *, configured: bool
) -> tuple[list[str], bool]:
    """(report lines, True when fine) for one provider. A ConfigError propagates."""
    options = {**chosen.options, "retries": 0}  # one request each: say at once what happened
    built = build_provider(settings, replace(chosen, options=options), SystemClock())
    if not isinstance(built, RescaleProvider):
        raise ConfigError(f"[providers.{chosen.name}] is not a Rescale provider")
    provider = built
    title = (
        f"[providers.{chosen.name}]"
        if configured
        else "Rescale (no rescale provider in the config; using Rescale's defaults)"
    )
    try:
        try:
            await provider.start()
        except ProviderAuthError as exc:
            lines = key_problem(provider, exc, configured=configured)
            return [title, _platform(provider), *lines], False
        key = load_api_key(api_key_file=provider.api_key_file, profile=provider.profile)
        lines = [title, _platform(provider), f"  API key:   from {key.source}"]
        try:
            report = await provider.check()
        except ProviderError as exc:
            return [*lines, *request_problem(provider, exc)], False
        return [
            *lines,
            f"  user:      {report.user}",
            f"  jobs:      {report.job_count} visible",
        ], True
    finally:
        await provider.close()


def _platform(provider: RescaleProvider) -> str:
    return f"  platform:  {provider.base_url} (region {provider.region})"


def request_problem(provider: RescaleProvider, exc: ProviderError) -> list[str]:
    """What to say when a request failed."""
    if isinstance(exc, RescaleKeyRejected):
        return [
            f"  problem:   Rescale rejected the API key (401: {exc.detail or 'unauthorized'}): "
            "it is wrong or expired, or for another platform (check `region`)",
            "  make a new key in Rescale under Settings > API "
            f"({provider.base_url}/user/settings/api-key/)",
        ]
    if isinstance(exc, RescaleUnreachable):
        return [f"  problem:   {exc.message}", f"  URL tried: {exc.url}"]
    return [f"  problem:   {exc.title}: {exc.message}"]


@dataclass(frozen=True)
class KeySource:
    """One place an API key is read from, and what is there now."""

    label: str
    state: str


def key_sources(provider: RescaleProvider, *, configured: bool) -> list[KeySource]:
    """Every place a key is read from, in the order they are tried."""
    env = "set" if os.environ.get(ENV_VAR, "").strip() else "not set"
    sources = [KeySource(f"the {ENV_VAR} environment variable", env)]
    if not configured:
        sources.append(KeySource("api_key_file of a rescale provider", "none configured"))
    elif provider.api_key_file is None:
        sources.append(KeySource(f"api_key_file in [providers.{provider.name}]", "not set"))
    else:
        try:
            read_key_file(provider.api_key_file)
            state = "holds a key"
        except ProviderAuthError as exc:
            state = exc.message
        sources.append(KeySource(f"api_key_file {provider.api_key_file}", state))
    label = f"{apiconfig_path()}, [{provider.profile}] apibaseurl and apikey"
    try:
        profile = read_profile(provider.profile)
    except ProviderAuthError as exc:
        sources.append(KeySource(label, exc.message))
        return sources
    if profile is None:
        state = "no such file"
    else:
        url = f"apibaseurl = {profile.base_url}" if profile.base_url else "no apibaseurl"
        state = f"{url}, {'an apikey' if profile.api_key else 'no apikey'}"
    sources.append(KeySource(label, state))
    return sources


def key_problem(
    provider: RescaleProvider, exc: ProviderAuthError, *, configured: bool
) -> list[str]:
    """What to say when no usable key was found: the error and every place keys are read from."""
    problem = "no API key found" if isinstance(exc, RescaleNoKey) else exc.message
    lines = [f"  problem:   {problem}", "  keys are read from, in order:"]
    for number, source in enumerate(key_sources(provider, configured=configured), start=1):
        state = "unusable, the problem above" if source.state == exc.message else source.state
        lines.append(f"    {number}. {source.label}: {state}")
    return [
        *lines,
        f"  make a key in Rescale under Settings > API ({provider.base_url}/user/settings/"
        "api-key/)",
        "  and put it in one of these (a key file must hold only the key, mode 0600)",
    ]
