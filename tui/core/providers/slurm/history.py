"""Finished jobs from `sacct --json` over the last `history_days`, refreshed in the background.

The first fetch covers the whole window; later ones ask only for jobs active since the last
fetch (`-S` a minute before it), merged into what is kept, so a busy user's week is not sent
again every minute. A refresh never delays the job listing: `kick()` starts one when the last
is older than `interval`, and the listing shows what is there. When sacct fails (slurmdbd
down, accounting off, sacct absent) the jobs already known stay, and `problem` says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tui.core.errors import ClusterdeckError, ProviderError, ProviderUnavailable, as_user_error
from tui.core.providers.slurm.sacct import (
    AccountedJob,
    SacctReply,
    parse_exit_codes,
    parse_sacct,
    with_exit_codes,
)

log = logging.getLogger(__name__)

Command = Callable[..., Awaitable[tuple[str, str]]]
"""`command(program, *args)` -> (stdout, stderr) on the login host (the provider's)."""

INTERVAL = 30.0
"""Seconds between two sacct refreshes (accounting lags a few seconds behind anyway)."""
OVERLAP = 60
"""Seconds an incremental fetch reaches back before the previous one."""


class HistoryUnavailable(ProviderUnavailable):
    """sacct could not give the finished jobs (the running ones are still listed)."""

    title = "Finished jobs unavailable"


def explain(exc: ClusterdeckError) -> HistoryUnavailable:
    """Why there is no history, in words a user can act on."""
    detail = exc.message
    low = detail.lower()
    if "accounting storage is disabled" in low:
        why = (
            "this cluster keeps no job accounting (AccountingStorageType=accounting_storage/none),"
            " so finished jobs show only while squeue still lists them (MinJobAge); "
            "`history_days = 0` stops asking"
        )
    elif "not found" in low and "sacct" in low:
        why = f"sacct is not installed on the login host or not on its PATH ({detail})"
    elif "database" in low or "slurmdbd" in low or "connection refused" in low:
        why = (
            "sacct cannot reach the accounting daemon (slurmdbd) or its database; running "
            f"and pending jobs still come from squeue. sacct said: {detail}"
        )
    else:
        why = detail
    return HistoryUnavailable(f"Finished jobs (sacct): {why}")


class History:
    """The login user's accounted jobs of the last `days` days, by job id."""

    def __init__(
        self,
        command: Command,
        *,
        days: int,
        all_users: bool = False,
        interval: float = INTERVAL,
        now: Callable[[], datetime],
    ) -> None:
        self._command = command
        self.days = days
        self.all_users = all_users
        self.interval = interval
        self._now = now
        self.jobs: dict[str, AccountedJob] = {}
        self.problem: HistoryUnavailable | None = None
        self.version: str | None = None
        self._fetched: datetime | None = None
        self._checked_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """False with `history_days = 0`: sacct is never run."""
        return self.days > 0

    def kick(self, user: str | None) -> None:
        """Start a refresh in the background when the last one is older than `interval`."""
        if not self.enabled or (self._task is not None and not self._task.done()):
            return
        if self._checked_at is not None and time.monotonic() - self._checked_at < self.interval:
            return
        self._task = asyncio.create_task(self.refresh(user), name="slurm-history")

    async def close(self) -> None:
        """Stop a refresh under way."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def refresh(self, user: str | None) -> None:
        """Fetch (never raises: a failure is kept in `problem`)."""
        self._checked_at = time.monotonic()
        began = self._now()
        since = began - timedelta(days=self.days)
        if self._fetched is not None:
            since = max(since, self._fetched - timedelta(seconds=OVERLAP))
        start = f"{since.astimezone():%Y-%m-%dT%H:%M:%S}"
        try:
            reply = await self._fetch(start)
        except ClusterdeckError as exc:
            self.problem = explain(exc)
            return
        except Exception as exc:  # never let a background refresh die unseen
            log.exception("sacct refresh failed")
            self.problem = explain(as_user_error(exc))
            return
        self.problem = None
        self.version = reply.version
        cutoff = began - timedelta(days=self.days)
        kept = {k: v for k, v in self.jobs.items() if not v.job.ended or v.job.ended >= cutoff}
        for entry in reply.jobs:
            if user is None or entry.job.user == user:
                kept[entry.job.job_id] = entry
        self.jobs = kept
        self._fetched = began

    async def _fetch(self, start: str) -> SacctReply:
        scope = ["-a"] if self.all_users else []
        out, _ = await self._command("sacct", "--json", *scope, "-S", start, "-E", "now")
        try:
            reply = parse_sacct(out)
        except ProviderError as exc:
            raise ProviderError(exc.message, title="Unknown sacct output") from exc
        if any(entry.exit_suspect for entry in reply.jobs):
            text, _ = await self._command(
                "sacct", "-n", "-P", "-X", *scope, "-S", start, "-E", "now",
                "--format=JobIDRaw,ExitCode",
            )  # fmt: skip
            reply = with_exit_codes(reply, parse_exit_codes(text))
        return reply
