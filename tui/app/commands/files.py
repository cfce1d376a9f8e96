"""`clusterdeck get`, `put` and `watch`: file transfers to and from a job's nodes, headless.

    clusterdeck get cfd-wing:results/ ~/runs/        # a folder, from the job's master node
    clusterdeck put mesh.cgns cfd-wing:worker-1:input/
    clusterdeck watch cfd-wing ~/runs/cfd-wing       # fetch new output files until the job ends

`JOB[:NODE]:REMOTE`: the job by id, name or provider:id, optionally a node (default: the job's
master), and a path as the node's SFTP server sees it (relative: from the home directory; on
the demo cluster, the job's directory). Exit statuses: see `exits.py` (0 fine, 1 a problem,
2 usage/config, 3 connection, 4 remote file, 5 checksum mismatch, 6 local file, 130 Ctrl+C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tui.app.commands.exits import EXIT_OK, transfer_status
from tui.app.commands.progress import Reporter
from tui.core.config.settings import Settings
from tui.core.errors import ClusterdeckError, ProviderError, SshDisconnected, SshUnreachable
from tui.core.models import Job, JobState, Node, SshTarget
from tui.core.providers.base import Provider
from tui.core.providers.files import JobFiles
from tui.core.ssh.pool import SshPool
from tui.core.transfers import (
    Conflict,
    Direction,
    Transfer,
    TransferManager,
    TransferSpec,
    TransferState,
    Verify,
)
from tui.core.transfers.paths import job_download_dir
from tui.core.transfers.watch import ApiWatch, FolderWatch

ProviderFactory = Callable[[str | None], Provider]


@dataclass(frozen=True)
class Where:
    """A resolved `JOB[:NODE]:REMOTE`."""

    job: Job
    node: Node
    remote: str


async def resolve(provider: Provider, text: str, *, need_path: bool = True) -> Where:
    """Find the job, node and path `text` names (`JOB[:NODE]:REMOTE`; a job may be `p:id`)."""
    parts = text.split(":")
    jobs = await provider.list_jobs()
    for taken in (1, 2):
        if len(parts) < taken:
            break
        name = ":".join(parts[:taken])
        matches = [j for j in jobs if name in {j.key, j.id, j.name}]
        if len(matches) > 1:
            keys = ", ".join(j.key for j in matches)
            raise ProviderError(f"{name!r} names several jobs ({keys}); use provider:id")
        if not matches:
            continue
        job, rest = matches[0], parts[taken:]
        nodes = await provider.list_nodes(job)
        if not nodes:
            state = job.state.value
            raise ProviderError(f"job {job.name} ({state}) has no nodes to copy files with")
        node = nodes[0]
        if len(rest) >= 2 and any(n.name == rest[0] for n in nodes):
            node = next(n for n in nodes if n.name == rest[0])
            rest = rest[1:]
        remote = ":".join(rest)
        if need_path and not remote:
            raise ProviderError(f"no remote path in {text!r}; write JOB[:NODE]:PATH")
        return Where(job, node, remote or ".")
    known = ", ".join(f"{j.name} ({j.id}, {j.state.value})" for j in jobs) or "none"
    raise ProviderError(f"no job in {text!r}; jobs: {known}")


async def resolve_job(provider: Provider, text: str) -> tuple[Job, str]:
    """The job `text` (`JOB[:PATH]`) names and the rest (the path; may be empty)."""
    parts = text.split(":")
    jobs = await provider.list_jobs()
    for taken in (2, 1):
        name = ":".join(parts[:taken])
        matches = [j for j in jobs if name in {j.key, j.id, j.name}]
        if len(matches) == 1 and len(parts) >= taken:
            return matches[0], ":".join(parts[taken:])
    known = ", ".join(f"{j.name} ({j.id}, {j.state.value})" for j in jobs) or "none"
    raise ProviderError(f"no job in {text!r}; jobs: {known}")


def api_files(provider: Provider, job: Job) -> JobFiles:
    files = provider.job_files(job)
    if files is None:
        raise ProviderError(
            f"the provider of {job.name} serves no files through an API; leave out --api "
            "to copy over SSH"
        )
    return files


def conflict_of(args: argparse.Namespace, settings: Settings) -> Conflict:
    if args.conflict is None and args.files_command == "watch":
        return Conflict.OVERWRITE  # a changed output replaces the copy fetched before
    return Conflict(args.conflict or settings.files_conflict)


def run_files(
    args: argparse.Namespace,
    *,
    settings: Settings,
    provider_factory: ProviderFactory,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `get`, `put` or `watch` (args.files_command) to the end; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    for name in ("source", "dest"):
        value = getattr(args, name, None)
        if value and ":" not in value:  # a local path (JOB:PATH always has a colon)
            setattr(args, name, str(Path(value).expanduser()))
    provider = provider_factory(getattr(args, "provider", None))
    interactive = sys.stdin.isatty()

    async def passphrase(key_path: Path, error: str | None = None) -> str | None:
        if not interactive:
            return None
        prompt = f"{error.capitalize()}. " if error else ""
        return await asyncio.to_thread(getpass.getpass, f"{prompt}Passphrase for {key_path}: ")

    async def ask(path: str) -> tuple[Conflict, bool]:
        question = f"{path} exists: [s]kip, [o]verwrite, [r]ename (capital: the same for all)? "
        answer = (await asyncio.to_thread(input, question)).strip()[:1]
        choice = {"s": Conflict.SKIP, "o": Conflict.OVERWRITE, "r": Conflict.RENAME}
        return choice.get(answer.lower(), Conflict.SKIP), answer.isupper()

    async def main() -> int:
        pool = SshPool(
            known_hosts_paths=[Path.home() / ".ssh" / "known_hosts", settings.known_hosts_path],
            passphrase_callback=passphrase,
        )
        manager = TransferManager(
            pool,
            ask=ask if interactive else None,
            conflict=conflict_of(args, settings),
            verify=Verify(args.verify or settings.files_verify),
        )
        reporter = Reporter(out, err, rich=bool(getattr(err, "isatty", lambda: False)()))
        manager.subscribe(reporter.update)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await provider.start()
            if args.files_command == "watch":
                if args.api:
                    return await _watch_api(args, settings, provider, manager, reporter, stop)
                return await _watch(args, settings, provider, manager, reporter, stop)
            if args.api:
                return await _copy_api(args, settings, provider, manager, stop)
            return await _copy(args, settings, provider, manager, stop)
        except ClusterdeckError as exc:
            reporter.say(
                f"clusterdeck {args.files_command}: {exc.title}: {exc.message}", error=True
            )
            return transfer_status(exc)
        finally:
            reporter.close()
            await manager.close()
            await provider.close()
            await pool.close()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130


async def _until_over(manager: TransferManager, transfer: Transfer, stop: asyncio.Event) -> int:
    """Wait for `transfer` (cancelled on `stop`); its exit status."""
    waiter = asyncio.ensure_future(manager.wait(transfer))
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait([waiter, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not waiter.done():
        manager.cancel(transfer)
        await waiter
        return 130
    if transfer.state is TransferState.FAILED and transfer.error is not None:
        return transfer_status(transfer.error)
    return EXIT_OK


async def _copy(
    args: argparse.Namespace,
    settings: Settings,
    provider: Provider,
    manager: TransferManager,
    stop: asyncio.Event,
) -> int:
    if args.files_command == "get":
        where = await resolve(provider, args.source)
        local = Path(args.dest) if args.dest else None
        if local is None:
            local = job_download_dir(settings.download_dir, where.job.name)
            os.makedirs(local, exist_ok=True)
        target = provider.ssh_target(where.node)
        spec = TransferSpec(Direction.DOWN, target, where.remote, local, label=args.source)
    else:
        where = await resolve(provider, args.dest)
        spec = TransferSpec(
            Direction.UP, provider.ssh_target(where.node), where.remote, Path(args.source)
        )
    return await _until_over(manager, manager.start(spec), stop)


async def _watch(
    args: argparse.Namespace,
    settings: Settings,
    provider: Provider,
    manager: TransferManager,
    reporter: Reporter,
    stop: asyncio.Event,
) -> int:
    where = await resolve(provider, f"{args.job}:{args.remote}", need_path=False)
    local = Path(args.dest) if args.dest else None
    local = local or job_download_dir(settings.download_dir, where.job.name)
    os.makedirs(local, exist_ok=True)
    watch = FolderWatch(manager.pool, provider.ssh_target(where.node), where.remote, local)
    reporter.say(f"watching {where.job.name}:{where.remote} -> {local} (Ctrl+C to stop)")
    status = EXIT_OK
    finished = False
    while not stop.is_set():
        try:
            due = await watch.poll(final=finished)
        except (SshDisconnected, SshUnreachable) as exc:
            if finished:
                raise
            reporter.say(f"{exc.message}; trying again in {args.interval:g} s", error=True)
            due = []
        for spec in due:
            transfer = manager.start(spec)
            result = await _until_over(manager, transfer, stop)
            if result == EXIT_OK:
                watch.done(spec)
            elif result == 130:
                return 130
            else:
                status = result
        if finished:
            return status
        job = next((j for j in await provider.list_jobs() if j.key == where.job.key), None)
        if job is None or job.state.is_finished or job.state is JobState.UNKNOWN:
            finished = True  # one last poll fetches every file, settled or not
            reporter.say(f"job {where.job.name} has ended; fetching what is left")
            continue
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.interval):
                await stop.wait()
    return status


API_TARGET = SshTarget("api")
"""The (unused) SSH target of an API transfer."""


async def _copy_api(
    args: argparse.Namespace,
    settings: Settings,
    provider: Provider,
    manager: TransferManager,
    stop: asyncio.Event,
) -> int:
    if args.files_command == "get":
        job, remote = await resolve_job(provider, args.source)
        local = Path(args.dest) if args.dest else job_download_dir(settings.download_dir, job.name)
        spec = TransferSpec(
            Direction.DOWN,
            API_TARGET,
            remote,
            local,
            label=args.source,
            api=api_files(provider, job),
        )
    else:
        job, _ = await resolve_job(provider, args.dest)
        files = api_files(provider, job)
        spec = TransferSpec(Direction.UP, API_TARGET, "", Path(args.source), api=files)
    return await _until_over(manager, manager.start(spec), stop)


async def _watch_api(
    args: argparse.Namespace,
    settings: Settings,
    provider: Provider,
    manager: TransferManager,
    reporter: Reporter,
    stop: asyncio.Event,
) -> int:
    job, _ = await resolve_job(provider, args.job)
    local = Path(args.dest) if args.dest else job_download_dir(settings.download_dir, job.name)
    watch = ApiWatch()
    reporter.say(f"watching {job.name}'s files through the API -> {local} (Ctrl+C to stop)")
    status = EXIT_OK
    while not stop.is_set():
        now = next((j for j in await provider.list_jobs() if j.key == job.key), None)
        ended = now is None or now.state.is_finished
        files = api_files(provider, now or job)
        listed = await files.list()
        if listed and not any(f.live for f in listed):
            ended = True  # stored outputs only: the run is over (the job list may lag)
        for file in watch.due(listed):
            spec = TransferSpec(
                Direction.DOWN, API_TARGET, file.path, local, label=file.path, api=files
            )
            result = await _until_over(manager, manager.start(spec), stop)
            if result == EXIT_OK:
                watch.done(file)
            elif result == 130:
                return 130
            else:
                status = result
        if ended:
            return status
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.interval):
                await stop.wait()
    return status
