"""The Rescale provider: jobs, nodes, live logs and SSH targets from Rescale's REST API v2.

The HTTP client is in `api`, key loading in `credentials`, JSON mapping in `jobs`, the tail
de-duplication in `tail` and the log stream in `log`. Configuration (`[providers.NAME]` with
`type = "rescale"`) is described by `tuning.OPTIONS` and range-checked there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tui.core.clock import Clock, SystemClock
from tui.core.errors import ConfigError, ProviderAuthError, ProviderError
from tui.core.models import Job, JobState, LogBatch, Node, SshTarget
from tui.core.providers.base import ALL_CAPABILITIES, Option, Provider, ProviderContext
from tui.core.providers.rescale.api import REGIONS, RescaleApi, RescaleNotFound, RetryPolicy
from tui.core.providers.rescale.credentials import (
    DEFAULT_PROFILE,
    ApiKey,
    load_api_key,
    read_profile,
    sources_hint,
)
from tui.core.providers.rescale.files import RescaleJobFiles
from tui.core.providers.rescale.jobs import (
    build_job,
    build_nodes,
    job_details,
    job_state,
    listed_status,
    newest_first,
    node_from_log,
    status_key,
)
from tui.core.providers.rescale.log import LogFollower
from tui.core.providers.rescale.support import (
    RescaleCheck,
    check_base_url,
    deleted,
    mark_stale,
    region_of,
    wrong_platform,
)
from tui.core.providers.rescale.tuning import OPTIONS, read_tuning

__all__ = ["RescaleCheck", "RescaleProvider", "check_base_url"]


FINISHED_LOOKUPS_PER_POLL = 10
"""Finished jobs whose status history (failure reason, dates) is fetched per poll; cached after."""


class RescaleProvider(Provider):
    """Jobs on one Rescale platform, read with the user's API key.

    Args:
        name: The provider's name (its config section).
        base_url: The platform's scheme and host; overrides `region`.
        region: One of `REGIONS`; with neither, the apiconfig profile's `apibaseurl` or
            https://platform.rescale.com.
        api_key_file: A 0600 file holding the key (see `rescale_keys` for the precedence).
        profile: The section of `~/.config/rescale/apiconfig` to read.
        ssh_key: The private key offered to job nodes (None: agent and default keys).
        poll_interval: `list_jobs()` answers from memory when called again sooner (0: never).
        tail_interval: Seconds between polls of a live log.
        tail_lines: The usual tail window (it widens up to 16x when needed).
        timeout: Seconds per request.
        retry: How GETs are retried.
        page_size: Jobs per page of the job list.
        clock: Sleeps and ages (the system clock by default).
        transport: An httpx transport instead of the network.
    """

    capabilities = ALL_CAPABILITIES
    OPTIONS: ClassVar[Mapping[str, Option]] = OPTIONS

    def __init__(
        self,
        name: str = "rescale",
        *,
        base_url: str | None = None,
        region: str | None = None,
        api_key_file: Path | None = None,
        profile: str = DEFAULT_PROFILE,
        ssh_key: Path | None = None,
        poll_interval: float = 10.0,
        tail_interval: float = 5.0,
        tail_lines: int = 500,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if region is not None and region not in REGIONS:
            raise ConfigError(f"region {region!r} must be one of {', '.join(REGIONS)}")
        self.name = name
        self._base_url = check_base_url(base_url) if base_url else None
        self._region = region
        self.api_key_file = api_key_file
        self.profile = profile
        self.ssh_key = ssh_key
        self.poll_interval = poll_interval
        self.tail_interval = tail_interval
        self.tail_lines = tail_lines
        self.timeout = timeout
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._clock: Clock = clock or SystemClock()
        self._transport = transport
        self._api: RescaleApi | None = None
        self._key_source = ""
        self._jobs: list[Job] = []
        self._jobs_ok_at: float | None = None
        self._histories: dict[str, list[Mapping[str, Any]]] = {}
        self._node_counts: dict[str, int] = {}
        self._nodes_ok_at: dict[str, float] = {}
        self._list_lock = asyncio.Lock()
        self._force = False
        self._logs: LogFollower | None = None
        self._closed = False

    @classmethod
    def create(cls, options: Mapping[str, Any], context: ProviderContext) -> RescaleProvider:
        """Build from a validated `[providers.NAME]` section; the key is read by `start()`."""

        tuning = read_tuning(options)  # every bad number is reported, not only the first

        def path(key: str) -> Path | None:
            raw = options.get(key)
            return Path(str(raw)).expanduser() if raw else None

        return cls(
            context.name or "rescale",
            base_url=options.get("base_url"),
            region=options.get("region"),
            api_key_file=path("api_key_file"),
            profile=str(options.get("profile", DEFAULT_PROFILE)),
            ssh_key=path("ssh_key"),
            poll_interval=tuning.poll_interval,
            tail_interval=tuning.tail_interval,
            tail_lines=tuning.tail_lines,
            timeout=tuning.timeout,
            retry=RetryPolicy(retries=tuning.retries),
            clock=context.clock,
        )

    def __repr__(self) -> str:
        return f"RescaleProvider(name={self.name!r}, base_url={self.base_url!r})"

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The platform in use (known for sure once started)."""
        return self._base_url or REGIONS[self._region or "platform"]

    @property
    def region(self) -> str:
        """The configured region, "custom" for a base_url, or the platform default."""
        if self._base_url:
            return region_of(self._base_url)
        return self._region or "platform"

    async def start(self) -> None:
        """Read the API key (see `rescale_keys`) and open the HTTP client; no request yet."""
        if self._closed:
            raise ProviderError("this Rescale provider was closed; make a new one")
        if self._api is not None:
            return
        key: ApiKey = load_api_key(api_key_file=self.api_key_file, profile=self.profile)
        if self._base_url is None and self._region is None:
            found = read_profile(self.profile) if key.origin == "profile" else None
            if found is not None and found.base_url:
                try:
                    self._base_url = check_base_url(found.base_url)
                except ConfigError as exc:
                    raise ConfigError(f"apibaseurl in {found.path}: {exc.message}") from None
        self._key_source = key.source
        self._api = RescaleApi(
            self.base_url,
            key,
            clock=self._clock,
            timeout=self.timeout,
            policy=self._retry,
            key_hint=sources_hint(self.api_key_file, self.profile),
            transport=self._transport,
        )
        self._logs = LogFollower(
            self._api,
            clock=self._clock,
            interval=self.tail_interval,
            lines=self.tail_lines,
        )

    async def close(self) -> None:
        """Close the HTTP client. Idempotent."""
        self._closed = True
        api, self._api = self._api, None
        if api is not None:
            await api.aclose()

    def banner(self) -> str | None:
        if self._api is None:
            return None
        return f"Rescale {self.base_url} (region {self.region}) · API key from {self._key_source}"

    def _require_api(self) -> RescaleApi:
        if self._api is None:
            state = "was closed" if self._closed else "is not started"
            raise ProviderError(f"the Rescale provider {self.name!r} {state}")
        return self._api

    # --- jobs --------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Make the next `list_jobs()` ask Rescale even within `poll_interval`."""
        self._force = True

    async def list_jobs(self) -> list[Job]:
        """The user's jobs, active first then newest first; at most once per `poll_interval`."""
        api = self._require_api()
        async with self._list_lock:
            now = self._clock.monotonic()
            fresh = self._jobs_ok_at is not None and now - self._jobs_ok_at < self.poll_interval
            if fresh and not self._force:
                return list(self._jobs)
            try:
                try:
                    jobs = await self._fetch_jobs(api)
                except RescaleNotFound as exc:
                    raise wrong_platform(exc, self.base_url) from None
            except ProviderError as exc:
                raise self._stale(exc, "the job list", self._jobs_ok_at) from None
            self._force = False
            self._jobs, self._jobs_ok_at = jobs, self._clock.monotonic()
            return list(jobs)

    async def _fetch_jobs(self, api: RescaleApi) -> list[Job]:
        items = [i for i in await api.get_all("jobs/", page_size=self._page_size) if i.get("id")]
        listed = {str(i["id"]): listed_status(i) for i in items}
        lookups = 0
        wanted = []
        for job_id, text in listed.items():
            cached = self._histories.get(job_id)
            if not text:
                continue  # never submitted: no history
            if job_state(text).is_active or job_state(text) is JobState.UNKNOWN:
                wanted.append(job_id)
            elif cached is not None and status_key(cached[0].get("status")) != status_key(text):
                wanted.append(job_id)  # it just finished: read why
            elif cached is None and lookups < FINISHED_LOOKUPS_PER_POLL:
                lookups += 1
                wanted.append(job_id)
        results = await asyncio.gather(*(self._history(api, j) for j in wanted))
        for job_id, history in zip(wanted, results, strict=True):
            if history:
                self._histories[job_id] = history
        for gone in set(self._histories) - set(listed):
            del self._histories[gone]
        jobs = []
        for item in items:
            job_id = str(item["id"])
            history = self._histories.get(job_id)
            if history and status_key(history[0].get("status")) != status_key(listed[job_id]):
                history = None  # not read this time and out of date: the list's status wins
            count = self._node_counts.get(job_id, 0)
            jobs.append(build_job(item, history, provider=self.name, node_count=count))
        oldest = 0.0
        jobs.sort(key=lambda j: j.submitted.timestamp() if j.submitted else oldest, reverse=True)
        jobs.sort(key=lambda j: not j.state.is_active)
        return jobs

    async def _history(self, api: RescaleApi, job_id: str) -> list[Mapping[str, Any]] | None:
        """The status history, newest first; None if it cannot be read now (list status used)."""
        try:
            entries = await api.get_all(f"jobs/{job_id}/statuses/")
        except ProviderAuthError:
            raise
        except ProviderError:
            return None  # e.g. a 504 on statuses (known to happen): the list's status stands
        return newest_first(entries)

    async def job_details(self, job: Job) -> dict[str, str]:
        """Labelled details of `job`: status, access-restriction CIDR, SSH public key and port."""
        api = self._require_api()
        try:
            detail = await api.get(f"jobs/{job.id}/")
        except RescaleNotFound:
            raise deleted(job) from None
        if not isinstance(detail, dict):
            raise ProviderError(f"Rescale sent an unexpected answer for job {job.id}")
        return job_details(detail, job)

    async def stop_job(self, job: Job) -> None:
        """Ask Rescale to stop `job` (POST jobs/{id}/stop/, sent once, never retried)."""
        api = self._require_api()
        try:
            await api.post(f"jobs/{job.id}/stop/")
        except RescaleNotFound:
            raise deleted(job) from None
        except ProviderError as exc:
            exc.message = (
                f"stopping {job.name} may not have reached Rescale: {exc.message}. It was not "
                "retried (a stop is never sent twice); check the job's status, then try again"
            )
            exc.args = (exc.message,)
            raise
        self.invalidate()

    async def check(self) -> RescaleCheck:
        """Who the key belongs to, the platform and how many jobs are visible (or the error)."""
        api = self._require_api()
        try:
            me = await api.get("users/me/")
            page = await api.get("jobs/", {"page_size": 1})
        except RescaleNotFound as exc:
            raise wrong_platform(exc, self.base_url) from None
        user = "?"
        if isinstance(me, dict):
            name = (
                me.get("fullName")
                or " ".join(str(me.get(k) or "") for k in ("firstName", "lastName")).strip()
            )
            email = me.get("email") or ""
            user = f"{name} <{email}>" if name and email else str(name or email or "?")
        count = page.get("count", 0) if isinstance(page, dict) else 0
        return RescaleCheck(user, self.base_url, self.region, self._key_source, int(count))

    # --- nodes -------------------------------------------------------------------------------

    async def list_nodes(self, job: Job) -> list[Node]:
        """The job's instances, master first; from its log's SSH line if instances are empty."""
        api = self._require_api()
        try:
            nodes = await self._fetch_nodes(api, job)
        except ProviderError as exc:
            what = f"the node list of {job.name}"
            raise self._stale(exc, what, self._nodes_ok_at.get(job.id)) from None
        self._nodes_ok_at[job.id] = self._clock.monotonic()
        self._node_counts[job.id] = len(nodes)
        return nodes

    async def _fetch_nodes(self, api: RescaleApi, job: Job) -> list[Node]:
        try:
            instances = await api.get_all(f"jobs/{job.id}/instances/")
        except RescaleNotFound:
            await self._ensure_exists(api, job)
            instances = []
        nodes = build_nodes(job, instances)
        if nodes or job.state not in {JobState.RUNNING, JobState.STOPPING}:
            return nodes
        assert self._logs is not None
        found = node_from_log(job, await self._logs.recent_lines(job))
        return [found] if found is not None else []

    async def _ensure_exists(self, api: RescaleApi, job: Job) -> None:
        try:
            await api.get(f"jobs/{job.id}/")
        except RescaleNotFound:
            raise deleted(job) from None

    def job_files(self, job: Job) -> RescaleJobFiles:
        """The job's files through the API: live while it runs, stored once it has ended."""
        running = job.state in {JobState.RUNNING, JobState.STOPPING}
        return RescaleJobFiles(self._require_api(), job.id, running=running)

    def ssh_target(self, node: Node) -> SshTarget:
        """The node's public IP and SSH port, the job's SSH user, and the configured `ssh_key`."""
        if not node.host or node.port <= 0:
            raise ProviderError(f"node {node.name} of job {node.job_id} has no address yet")
        return SshTarget(host=node.host, port=node.port, user=node.user, key_path=self.ssh_key)

    # --- logs --------------------------------------------------------------------------------

    async def stream_log(self, job: Job, *, offset: int = 0) -> AsyncGenerator[LogBatch, None]:
        """`process_output.log`: polled tail while executing, then the stored file. Resumable."""
        self._require_api()
        assert self._logs is not None
        async for batch in self._logs.stream(job, offset=offset):
            yield batch

    # --- errors ------------------------------------------------------------------------------

    def _stale(self, exc: ProviderError, what: str, ok_at: float | None) -> ProviderError:
        """`exc`, saying that `what` is stale, when something was shown before."""
        if ok_at is None:
            return exc
        return mark_stale(exc, what, self._clock.monotonic() - ok_at)
