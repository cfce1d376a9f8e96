"""One shared SSH connection per (user, host, port, jump), opened as OpenSSH would open it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Literal, overload

import asyncssh

from tui.core.errors import HostKeyChanged, HostKeyUnknown, SshError
from tui.core.models import SshTarget
from tui.core.ssh.auth import KeySource, PassphraseCallback, default_identity_files
from tui.core.ssh.client import PoolClient, open_connection
from tui.core.ssh.diagnose import TOO_MANY_FILES, connect_error, too_many_files
from tui.core.ssh.dialogs import HostKeyDialogs
from tui.core.ssh.files import RemoteFiles
from tui.core.ssh.hostkeys import KnownHostEntry, entries_for
from tui.core.ssh.pool_trust import PoolHostTrust
from tui.core.ssh.process import RemoteProcess
from tui.core.ssh.resolve import ResolvedTarget, default_config_paths, resolve_target
from tui.core.ssh.session import RunResult, SshSession
from tui.core.ssh.trust import HostKeyAlert, HostKeyCallback

MAX_JUMP_DEPTH = 8

PoolKey = tuple[str | None, str, int, tuple[object, ...] | None]

log = logging.getLogger(__name__)


class SshPool(PoolHostTrust):
    """Shared SSH connections, opened on demand and dropped from the pool when they end.

    Callers get an `SshSession` (`connect`) or use the shortcuts that connect first: `run`,
    `process` and `sftp`. Every failure is an `SshError` (or a subclass) with a message for
    the user; no asyncssh type leaves `tui.core.ssh`.

    Args:
        known_hosts_paths: The app's known_hosts files (`~/.ssh/known_hosts` is always read too).
        keepalive_interval: Seconds between keepalives (0 disables them).
        connect_timeout: Seconds allowed to reach, verify and log in (a passphrase prompt
            pauses the clock).
        use_agent: Offer ssh-agent keys first when `SSH_AUTH_SOCK` is set.
        ssh_config_paths: OpenSSH client config files; None means `~/.ssh/config` if present.
        passphrase_callback: Asked for the passphrase of an encrypted key file.
        keepalive_count_max: Unanswered keepalives before the connection counts as dropped.
        host_key_callback: Asked about an unknown host key (gets a `TrustRequest`); without
            it an unknown key fails with `HostKeyUnknown`. A changed key is always refused.
        host_key_alert: Told about a changed host key before `HostKeyChanged` is raised; when
            it returns an awaitable (the alert is closed), other connects to that host wait.
            Each dialog is shown once per host and key at a time (see `HostKeyDialogs`).
        trusted_hosts_path: Where "trust and remember" writes (default: the last of
            `known_hosts_paths`, else `~/.ssh/known_hosts`).
        job_hosts_path: The job-scoped trust file (default: `<trusted_hosts_path>.jobs`).
    """

    def __init__(
        self,
        *,
        known_hosts_paths: Sequence[Path],
        keepalive_interval: float = 15,
        connect_timeout: float = 10,
        use_agent: bool = True,
        ssh_config_paths: Sequence[Path] | None = None,
        passphrase_callback: PassphraseCallback | None = None,
        keepalive_count_max: int = 3,
        host_key_callback: HostKeyCallback | None = None,
        host_key_alert: HostKeyAlert | None = None,
        trusted_hosts_path: Path | None = None,
        job_hosts_path: Path | None = None,
    ) -> None:
        self._known_hosts_paths = list(known_hosts_paths)
        self._host_key_callback = host_key_callback
        self._host_key_alert = host_key_alert
        self._trusted_hosts_path = trusted_hosts_path or (
            self._known_hosts_paths[-1] if self._known_hosts_paths else None
        )
        self._job_hosts_path = job_hosts_path
        self._keepalive_interval = keepalive_interval
        self._keepalive_count_max = keepalive_count_max
        self._connect_timeout = connect_timeout
        self._use_agent = use_agent
        self._config_paths = None if ssh_config_paths is None else list(ssh_config_paths)
        self._passphrase_callback = passphrase_callback
        self._declined_keys: set[Path] = set()
        self._dialogs = HostKeyDialogs()
        self._conns: dict[PoolKey, SshSession] = {}
        self._pending: dict[PoolKey, asyncio.Task[SshSession]] = {}
        self._quiet: set[asyncio.Task[SshSession]] = set()
        """Pending attempts that fail on an unknown host key instead of asking."""
        self._lost: dict[PoolKey, Exception | None] = {}
        self._closed = False

    # --- public API ----------------------------------------------------------------------------

    async def connect(self, target: SshTarget, *, ask_host_key: bool = True) -> SshSession:
        """The pooled connection for `target`, opening it if needed.

        Concurrent callers for one target share a single connection attempt. With
        `ask_host_key=False` an unknown host key fails with `HostKeyUnknown` instead of asking
        (background work such as the metrics samplers must not pop up a dialog per node).

        Raises:
            SshError: (or a subclass) with a message for the user.
        """
        return await self._connect(target, depth=0, ask=ask_host_key)

    def cached(self, target: SshTarget) -> SshSession | None:
        """The open pooled connection for `target`, without connecting."""
        session = self._conns.get(target.pool_key)
        return session if session is not None and not session.is_closed() else None

    def last_loss(self, target: SshTarget) -> Exception | None:
        """Why the last pooled connection for `target` ended (None: closed cleanly or never)."""
        return self._lost.get(target.pool_key)

    @overload
    async def run(
        self,
        target: SshTarget,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-command limit
        input: str | bytes | None = None,
        binary: Literal[False] = False,
    ) -> RunResult[str]: ...

    @overload
    async def run(
        self,
        target: SshTarget,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        input: str | bytes | None = None,
        binary: Literal[True],
    ) -> RunResult[bytes]: ...

    async def run(
        self,
        target: SshTarget,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        input: str | bytes | None = None,
        binary: bool = False,
    ) -> RunResult[str] | RunResult[bytes]:
        """Run `command` on `target`: `(status, stdout, stderr)`; see `SshSession.run`."""
        session = await self.connect(target)
        if binary:
            return await session.run(command, timeout=timeout, input=input, binary=True)
        return await session.run(command, timeout=timeout, input=input)

    async def process(
        self,
        target: SshTarget,
        command: str,
        *,
        merge_stderr: bool = False,
        ask_host_key: bool = True,
    ) -> RemoteProcess:
        """Start `command` on `target`, streaming its output; see `SshSession.process`."""
        session = await self.connect(target, ask_host_key=ask_host_key)
        return await session.process(command, merge_stderr=merge_stderr)

    @contextlib.asynccontextmanager
    async def sftp(self, target: SshTarget) -> AsyncIterator[RemoteFiles]:
        """Remote files on `target` for the duration of the block; see `SshSession.sftp`."""
        session = await self.connect(target)
        async with session.sftp() as files:
            yield files

    @property
    def skipped_keys(self) -> tuple[Path, ...]:
        """Key files whose passphrase the user skipped: not asked for again this session."""
        return tuple(sorted(self._declined_keys))

    def ask_again_for_skipped_keys(self) -> int:
        """Ask again for the skipped keys' passphrases on the next connect; returns how many."""
        count = len(self._declined_keys)
        self._declined_keys.clear()
        return count

    async def close(self) -> None:
        """Close every connection and wait until they are closed. The pool cannot be reused."""
        self._closed = True
        for task in list(self._pending.values()):
            task.cancel()
        for task in list(self._pending.values()):
            with contextlib.suppress(BaseException):
                await task
        sessions = list(self._conns.values())
        self._conns.clear()
        for session in sessions:
            session.close()
        for session in sessions:
            await session.wait_closed()

    # --- internals -----------------------------------------------------------------------------

    async def _connect(self, target: SshTarget, *, depth: int, ask: bool = True) -> SshSession:
        if self._closed:
            raise SshError("the SSH connection pool is closed")
        key = target.pool_key
        session = self._conns.get(key)
        if session is not None and not session.is_closed():
            return session
        task = self._pending.get(key)
        if task is not None and ask and task in self._quiet:
            # A background attempt that may not ask about the host key: if that is what
            # stopped it, this caller asks in an attempt of its own.
            with contextlib.suppress(HostKeyUnknown):
                return await asyncio.shield(task)
            task = None
        if task is None:
            task = asyncio.create_task(self._open(target, depth, ask), name=f"ssh-connect {target}")
            self._pending[key] = task
            if not ask:
                self._quiet.add(task)
            task.add_done_callback(lambda t: self._opened(key, t))
        try:
            return await asyncio.shield(task)
        except Exception as exc:
            if not isinstance(exc, HostKeyChanged | HostKeyUnknown) and too_many_files(exc):
                raise SshError(f"cannot connect to {target}: {TOO_MANY_FILES}") from exc
            raise
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                # close() cancelled the attempt; this caller was not cancelled itself
                raise SshError(f"the SSH pool was closed while connecting to {target}") from None
            raise

    def _opened(self, key: PoolKey, task: asyncio.Task[SshSession]) -> None:
        self._quiet.discard(task)
        if self._pending.get(key) is task:
            del self._pending[key]
        if not task.cancelled():
            task.exception()  # retrieved: callers may all have been cancelled

    def _on_lost(self, key: PoolKey, client: PoolClient, exc: Exception | None) -> None:
        session = self._conns.get(key)
        if session is not None and client.connection is session._conn:
            del self._conns[key]
            self._lost[key] = exc
            log.info("ssh connection %s ended: %s", key, exc)

    async def _open(self, target: SshTarget, depth: int, ask: bool = True) -> SshSession:
        if depth > MAX_JUMP_DEPTH:
            raise SshError(f"too many jump hosts (ProxyJump loop?) on the way to {target}")
        config_paths = default_config_paths() if self._config_paths is None else self._config_paths
        resolved = await resolve_target(target, config_paths)
        tunnel = None
        if resolved.jump is not None:
            tunnel = (await self._connect(resolved.jump, depth=depth + 1, ask=ask))._conn
        once: tuple[KnownHostEntry, ...] = ()
        asked = False
        while True:
            entries = await asyncio.to_thread(
                entries_for, self._all_known_hosts(), resolved.host_key_name, resolved.port
            )
            try:
                session = await self._attempt(target, resolved, entries + once, tunnel)
            except HostKeyUnknown as exc:
                if asked or not ask or self._host_key_callback is None:
                    raise
                asked = True
                once = await self._ask_trust(exc, target, resolved)
                continue
            except HostKeyChanged as exc:
                if self._host_key_alert is not None:
                    await self._dialogs.alert(exc, self._host_key_alert)
                raise
            self._conns[target.pool_key] = session
            log.info("ssh connected to %s", resolved.label)
            return session

    async def _attempt(
        self,
        target: SshTarget,
        resolved: ResolvedTarget,
        entries: tuple[KnownHostEntry, ...],
        tunnel: asyncssh.SSHClientConnection | None,
    ) -> SshSession:
        """One connection attempt with `entries` as the trusted host keys."""
        loop = asyncio.get_running_loop()
        deadlines: list[asyncio.Timeout] = []

        def on_prompt(waiting: bool) -> None:
            """Stop the connect clock while the user types a passphrase."""
            when = None if waiting else loop.time() + self._connect_timeout
            for deadline in deadlines:
                deadline.reschedule(when)

        keys = self._key_source(target, resolved, on_prompt)
        client = PoolClient(
            keys=keys,
            entries=entries,
            on_lost=lambda c, e: self._on_lost(target.pool_key, c, e),
        )
        try:
            async with asyncio.timeout(self._connect_timeout) as deadline:
                deadlines.append(deadline)
                conn = await open_connection(
                    resolved,
                    client,
                    tunnel,
                    keepalive_interval=self._keepalive_interval,
                    keepalive_count_max=self._keepalive_count_max,
                )
                return SshSession(conn, target, client)
        except Exception as exc:
            raise connect_error(
                exc, resolved, client=client, timeout=self._connect_timeout
            ) from exc
        finally:
            await keys.aclose()

    def _key_source(
        self, target: SshTarget, resolved: ResolvedTarget, on_prompt: Callable[[bool], None]
    ) -> KeySource:
        explicit = [target.key_path.expanduser()] if target.key_path is not None else []
        explicit += list(resolved.identity_files)
        files = explicit + ([] if resolved.identity_files else default_identity_files())
        agent = os.environ.get("SSH_AUTH_SOCK") or None
        keys = KeySource(
            agent_path=agent if self._use_agent else None,
            key_files=files,
            explicit=explicit,
            passphrase_callback=self._passphrase_callback,
            identities_only=resolved.identities_only,
            on_prompt=on_prompt,
            declined=self._declined_keys,
        )
        if agent and not self._use_agent:
            keys.agent_note = "not used (turned off in clusterdeck)"
        return keys
