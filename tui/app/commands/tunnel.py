"""`clusterdeck tunnel`: the tunnel manager without the UI, until Ctrl+C or the job ends.

    clusterdeck tunnel --job cfd-wing --node master-0 -L 8888:localhost:8888 -D 1080

Prints one line per state change (listening, active, reconnecting, failed, closed) and per failed
connection. Exit status: 0 after Ctrl+C/SIGTERM or when the job ended, 1 when no tunnel could be
kept open (or the job/node is unknown), 2 for bad arguments or a bad config.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tui.app.commands.arguments import TUNNEL_DESCRIPTION, add_tunnel_options
from tui.app.commands.exits import run_reporting
from tui.core.clock import Clock, SystemClock
from tui.core.config.settings import Settings
from tui.core.errors import ClusterdeckError, TunnelError, as_user_error
from tui.core.models import Job, JobState, Node
from tui.core.printable import inert
from tui.core.providers.base import Provider
from tui.core.tunnels import TunnelManager
from tui.core.tunnels.model import TunnelKind, TunnelSpec, TunnelState, parse_dynamic, parse_forward
from tui.core.tunnels.runtime import ConnectionSource, EventKind, TunnelEvent
from tui.core.tunnels.store import provider_resolver

ProviderFactory = Callable[[str | None], Provider]
"""Builds the provider named by `--provider` (None: the configured default)."""

PROG = "clusterdeck tunnel"


@dataclass(frozen=True)
class Forward:
    """One `-L` or `-D` from the command line."""

    kind: TunnelKind
    local_port: int
    bind: str
    host: str = "localhost"
    remote_port: int = 0


@dataclass(frozen=True)
class TunnelOptions:
    """The parsed command line."""

    job: str
    node: str | None
    forwards: tuple[Forward, ...]
    provider: str | None = None
    poll: float = 10.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise TunnelError(message)


def build_tunnel_parser() -> argparse.ArgumentParser:
    """`clusterdeck tunnel`'s parser on its own: argument errors raise TunnelError."""
    parser = _Parser(prog=PROG, description=TUNNEL_DESCRIPTION)
    add_tunnel_options(parser)
    return parser


def tunnel_options(args: argparse.Namespace) -> TunnelOptions:
    """The checked options (see `add_tunnel_options`). Raises TunnelError with what is wrong."""
    forwards: list[Forward] = []
    for text in args.local:
        local, host, remote, bind = parse_forward(text)
        forwards.append(Forward(TunnelKind.LOCAL, local, bind, host, remote))
    for text in args.dynamic:
        port, bind = parse_dynamic(text)
        forwards.append(Forward(TunnelKind.SOCKS, port, bind))
    if not forwards:
        raise TunnelError("nothing to forward: give at least one -L or -D")
    if args.poll <= 0:
        raise TunnelError("--poll must be a positive number of seconds")
    provider = getattr(args, "provider", None)
    return TunnelOptions(args.job, args.node, tuple(forwards), provider, args.poll)


def parse_tunnel_args(argv: Sequence[str]) -> TunnelOptions:
    """Parse and check a command line. Raises TunnelError with what is wrong."""
    return tunnel_options(build_tunnel_parser().parse_args(list(argv)))


def run_tunnel_command(
    argv: Sequence[str],
    *,
    settings: Settings,
    provider_factory: ProviderFactory,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `clusterdeck tunnel ARGV` in this process; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    if any(a in {"-h", "--help"} for a in argv):
        build_tunnel_parser().print_help(out)
        return 0
    try:
        options = parse_tunnel_args(argv)
    except TunnelError as exc:
        print(f"{PROG}: {exc.message}", file=err)
        return 2
    return run_reporting(
        lambda: run_tunnel(
            options, settings=settings, provider_factory=provider_factory, out=out, err=err
        ),
        err=err,
    )


def run_tunnel(
    options: TunnelOptions,
    *,
    settings: Settings,
    provider_factory: ProviderFactory,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Build the provider and keep the tunnels open until Ctrl+C or the job ends.

    Errors building the provider propagate (see `exits.run_reporting`).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    provider = provider_factory(options.provider)
    from tui.core.ssh import SshPool

    async def ask(key_path: Path, error: str | None = None) -> str | None:
        if not sys.stdin.isatty():
            return None
        prompt = f"{error.capitalize()}. " if error else ""
        prompt += f"Passphrase for {key_path}: "
        return await asyncio.to_thread(getpass.getpass, prompt)

    async def main() -> int:
        pool = SshPool(
            known_hosts_paths=[Path.home() / ".ssh" / "known_hosts", settings.known_hosts_path],
            passphrase_callback=ask,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            return await serve_tunnels(
                options, provider=provider, pool=pool, out=out, err=err, stop=stop
            )
        finally:
            await pool.close()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0


async def serve_tunnels(
    options: TunnelOptions,
    *,
    provider: Provider,
    pool: ConnectionSource,
    out: TextIO,
    err: TextIO,
    stop: asyncio.Event,
    clock: Clock | None = None,
) -> int:
    """Start the provider, open the forwards, print state changes until `stop` or the job ends.

    Closes the tunnels and the provider before returning the exit status.
    """
    manager = TunnelManager(
        pool, clock=clock or SystemClock(), resolver=provider_resolver(provider)
    )

    def say(line: str) -> None:
        print(inert(line), file=out, flush=True)

    def on_event(event: TunnelEvent) -> None:
        tunnel = event.tunnel
        name = tunnel.spec.label
        if event.kind is EventKind.ADDED:
            say(f"{name}: {tunnel.local_address} -> {tunnel.spec.node} {tunnel.spec.remote}")
            if tunnel.state is not TunnelState.STARTING:
                say(f"{name}: {tunnel.state_text}")
        elif event.kind is EventKind.STATE:
            say(f"{name}: {tunnel.state_text}")
        elif event.kind is EventKind.ERROR:
            say(f"{name}: {event.message}")

    manager.subscribe(on_event)
    try:
        await provider.start()
        job = await _find_job(provider, options, say, stop)
        if job is None:
            return 0 if stop.is_set() else 1
        node = await _find_node(provider, job, options.node)
        target = provider.ssh_target(node)
        for forward in options.forwards:
            await manager.open(
                TunnelSpec(
                    node=node.name,
                    remote_port=forward.remote_port,
                    remote_host=forward.host,
                    local_port=forward.local_port,
                    bind_address=forward.bind,
                    kind=forward.kind,
                    job_key=job.key,
                    job_name=job.name,
                    target=target,
                    preset="socks" if forward.kind is TunnelKind.SOCKS else "custom",
                )
            )
        return await _watch(manager, provider, options.poll, stop)
    except ClusterdeckError as exc:
        print(f"{PROG}: {exc.message}", file=err, flush=True)
        return 1
    except Exception as exc:
        error = as_user_error(exc)
        print(f"{PROG}: {error.title}: {error.message}", file=err, flush=True)
        return 1
    finally:
        await manager.close("interrupted" if stop.is_set() else "clusterdeck tunnel ended")
        await provider.close()


async def _watch(
    manager: TunnelManager, provider: Provider, poll: float, stop: asyncio.Event
) -> int:
    """Until `stop`: close tunnels when the job ends; return when none is left open."""
    changed = asyncio.Event()
    unsubscribe = manager.subscribe(
        lambda event: changed.set() if event.kind is EventKind.STATE else None
    )
    loop = asyncio.get_running_loop()
    next_poll = loop.time() + poll
    try:
        while not stop.is_set():
            tunnels = manager.tunnels
            if not any(t.state.is_open for t in tunnels):
                return 1 if any(t.state is TunnelState.FAILED for t in tunnels) else 0
            changed.clear()
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, changed)]
            await asyncio.wait(
                waiters,
                timeout=max(0.0, next_poll - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            for waiter in waiters:
                waiter.cancel()
            if stop.is_set() or loop.time() < next_poll:
                continue
            next_poll = loop.time() + poll
            try:
                await manager.sync_jobs(await provider.list_jobs())
            except ClusterdeckError:
                continue  # the provider is unreachable for now; the tunnels carry on
        return 0
    finally:
        unsubscribe()


async def _find_job(
    provider: Provider, options: TunnelOptions, say: Callable[[str], None], stop: asyncio.Event
) -> Job | None:
    """The job named on the command line, waiting while it is queued."""
    announced = False
    while True:
        jobs = await provider.list_jobs()
        matches = [j for j in jobs if options.job in {j.key, j.id, j.name}]
        if not matches:
            known = ", ".join(f"{j.name} ({j.id}, {j.state.value})" for j in jobs) or "none"
            raise TunnelError(f"no job {options.job!r}; jobs: {known}")
        if len(matches) > 1:
            keys = ", ".join(j.key for j in matches)
            raise TunnelError(f"{options.job!r} names several jobs ({keys}); use provider:id")
        job = matches[0]
        if job.state is JobState.RUNNING:
            return job
        if job.state.is_finished or not job.state.is_active:
            raise TunnelError(f"job {job.name} is {job.state.value}: its nodes are gone")
        if not announced:
            say(f"job {job.name} is {job.state.value}; waiting for it to run (Ctrl+C to stop)")
            announced = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(options.poll):
                await stop.wait()
        if stop.is_set():
            return None


async def _find_node(provider: Provider, job: Job, name: str | None) -> Node:
    nodes = await provider.list_nodes(job)
    if not nodes:
        raise TunnelError(f"job {job.name} has no nodes yet")
    if name is None:
        return nodes[0]
    for node in nodes:
        if node.name == name:
            return node
    known = ", ".join(node.name for node in nodes)
    raise TunnelError(f"job {job.name} has no node {name!r}; its nodes: {known}")
