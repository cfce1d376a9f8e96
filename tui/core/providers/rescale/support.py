"""Small pieces of the Rescale provider: base URL checks, the `check` report, error wording."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.core.clock import format_age
from tui.core.errors import ConfigError, ProviderAuthError, ProviderError, ProviderUnavailable
from tui.core.models import Job
from tui.core.providers.rescale.api import REGIONS, RescaleNotFound, RescaleRateLimited


@dataclass(frozen=True)
class RescaleCheck:
    """What `clusterdeck rescale check` shows: whose key, which platform, how many jobs."""

    user: str
    base_url: str
    region: str
    key_source: str
    job_count: int

    def lines(self) -> list[str]:
        """Human-readable lines."""
        return [
            f"API key from {self.key_source} belongs to {self.user}",
            f"platform: {self.base_url} (region {self.region})",
            f"jobs visible: {self.job_count}",
        ]


def check_base_url(url: str) -> str:
    """`url` without a trailing slash, if it is https (or http to a loopback address).

    Raises:
        ConfigError: for anything else; the key must not travel in clear text.
    """
    split = urlsplit(url.strip())
    if split.scheme not in {"http", "https"} or not split.hostname:
        raise ConfigError(f"base_url {url!r} must look like https://platform.rescale.com")
    if split.query or split.fragment or split.path.strip("/"):
        raise ConfigError(
            f"base_url {url!r} must be only scheme and host (the /api/v2/ part is added)"
        )
    if split.scheme == "http":
        try:
            loopback = ipaddress.ip_address(split.hostname).is_loopback
        except ValueError:
            loopback = split.hostname == "localhost"
        if not loopback:
            raise ConfigError(f"base_url {url!r} must use https (the API key is sent with it)")
    return f"{split.scheme}://{split.netloc}"


def region_of(base_url: str) -> str:
    """The region whose URL is `base_url`, else "custom"."""
    return next((name for name, url in REGIONS.items() if url == base_url), "custom")


def deleted(job: Job) -> RescaleNotFound:
    """The error for a job that vanished while shown."""
    return RescaleNotFound(
        f"job {job.name} ({job.id}) no longer exists on Rescale (deleted?); it leaves the "
        "list at the next refresh",
        path=f"jobs/{job.id}/",
    )


def wrong_platform(exc: RescaleNotFound, base_url: str) -> ProviderError:
    """The error for a 404 on an endpoint every Rescale platform has."""
    return ProviderError(
        f"{exc.message}: {base_url} does not look like a Rescale platform; set "
        f"`region` ({', '.join(REGIONS)}) or a correct `base_url`",
        title="Wrong Rescale region or base URL",
    )


def mark_stale(exc: ProviderError, what: str, age: float) -> ProviderError:
    """`exc`, its message now saying that `what` on screen is stale, how old, and what to do."""
    if isinstance(exc, ProviderAuthError):
        todo = "fix the key as described; it refreshes at the next poll"
    elif isinstance(exc, RescaleRateLimited):
        todo = f"it refreshes once Rescale allows it again (in {exc.retry_after:.0f} s)"
    elif isinstance(exc, ProviderUnavailable):
        todo = "it refreshes by itself once Rescale answers again"
    else:
        todo = "it refreshes at the next poll"
    exc.message = f"{exc.message}. Showing {what} from {format_age(age)} ago (stale); {todo}"
    exc.args = (exc.message,)
    return exc
