"""The pool's host-key trust: its known_hosts files and asking about an unknown key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

import asyncssh

from tui.core.errors import HostKeyUnknown
from tui.core.models import SshTarget
from tui.core.ssh.dialogs import HostKeyDialogs
from tui.core.ssh.hostkeys import KnownHostEntry, add_known_host, known_hosts_name
from tui.core.ssh.resolve import ResolvedTarget
from tui.core.ssh.trust import (
    HostKeyCallback,
    TrustRequest,
    add_job_host,
    forget_job,
    retain_jobs,
)

log = logging.getLogger(__name__)


class PoolHostTrust:
    """Where `SshPool` reads and records trusted host keys (SshPool builds on this)."""

    _known_hosts_paths: list[Path]
    _trusted_hosts_path: Path | None
    _job_hosts_path: Path | None
    _host_key_callback: HostKeyCallback | None
    _dialogs: HostKeyDialogs

    @property
    def trusted_hosts_path(self) -> Path:
        """The known_hosts file "trust and remember" writes to."""
        return self._trusted_hosts_path or Path("~/.ssh/known_hosts").expanduser()

    @property
    def job_hosts_path(self) -> Path:
        """The known_hosts file holding job-scoped trust (one job id per line's comment)."""
        if self._job_hosts_path is not None:
            return self._job_hosts_path
        remember = self.trusted_hosts_path
        return remember.with_name(f"{remember.name}.jobs")

    def forget_job_trust(self, job_id: str) -> int:
        """The job ended: drop the host keys trusted for it. Returns how many were dropped."""
        dropped = forget_job(self.job_hosts_path, job_id)
        if dropped:
            log.info("dropped %d host key(s) trusted for job %s", dropped, job_id)
        return dropped

    def retain_job_trust(self, job_ids: Iterable[str]) -> int:
        """Keep job-scoped trust only for `job_ids` (the jobs still running); returns dropped."""
        return retain_jobs(self.job_hosts_path, job_ids)

    async def _ask_trust(
        self, error: HostKeyUnknown, target: SshTarget, resolved: ResolvedTarget
    ) -> tuple[KnownHostEntry, ...]:
        """Ask about an unknown key; record the answer. Returns the keys trusted just once.

        Raises:
            HostKeyUnknown: `error` itself when the user declined.
        """
        callback = self._host_key_callback
        assert callback is not None

        async def show() -> tuple[KnownHostEntry, ...] | None:
            choice = await callback(TrustRequest(error, job_id=target.trust_scope))
            if choice is None:
                return None
            key = asyncssh.import_public_key(error.public_key)
            name, port = resolved.host_key_name, resolved.port
            if choice == "remember":
                await asyncio.to_thread(add_known_host, self.trusted_hosts_path, name, port, key)
                log.info("host key of %s remembered in %s", name, self.trusted_hosts_path)
                return ()
            if choice == "job" and target.trust_scope is not None:
                job = target.trust_scope
                await asyncio.to_thread(add_job_host, self.job_hosts_path, name, port, key, job)
                log.info("host key of %s trusted for job %s", name, job)
                return ()
            return (KnownHostEntry(Path("(trusted once)"), 0, known_hosts_name(name, port), key),)

        once = await self._dialogs.ask(error, show)  # one question per host at a time
        if once is None:
            raise error
        return once

    def _all_known_hosts(self) -> list[Path]:
        user = Path("~/.ssh/known_hosts").expanduser()
        return list(dict.fromkeys([user, *self._known_hosts_paths, self.job_hosts_path]))
