"""Node metrics of the shown job: one long-lived sampler per node over the pooled SSH connection.

    metrics = NodeMetrics(pool, settings=settings.watch, clock=clock)
    metrics.subscribe(on_sample)          # called with the node's name after each sample
    metrics.show(job.key, nodes, provider.ssh_target)   # start/stop samplers to match the nodes
    metrics.show(None, [], ...)           # nothing shown: every sampler stops
    await metrics.close()

Each sampler is one exec of `SAMPLER_SCRIPT` (`tui.core.watch.metrics`), not one login per
sample; it stops when its node is no longer shown. Above `max_nodes` nodes nothing is sampled
(`[watch] metrics = "auto"`) unless a node is asked for (`ask`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from tui.core.clock import Clock
from tui.core.config.watching import WatchSettings
from tui.core.errors import ClusterdeckError, HostKeyUnknown, as_user_error
from tui.core.models import Node, NodeState, SshTarget
from tui.core.printable import printable
from tui.core.ssh.process import RemoteProcess
from tui.core.subscribers import Subscribers
from tui.core.watch.metrics import History, SampleParser, sampler_command

log = logging.getLogger(__name__)

RETRY_FIRST = 5.0
RETRY_MAX = 60.0
_SAMPLED = (NodeState.RUNNING, NodeState.UNKNOWN)


class ProcessStarter(Protocol):
    """What a sampler needs from the SSH pool (`SshPool` is one)."""

    async def process(
        self,
        target: SshTarget,
        command: str,
        *,
        merge_stderr: bool = False,
        ask_host_key: bool = True,
    ) -> RemoteProcess: ...


class NodeSampler:
    """Runs the sampler loop on one node and keeps its `History`; restarts it after a drop."""

    def __init__(
        self,
        pool: ProcessStarter,
        name: str,
        target: SshTarget,
        *,
        settings: WatchSettings,
        clock: Clock,
        on_sample: Callable[[str], None],
    ) -> None:
        self.name = name
        self.target = target
        self.history = History(settings.history_samples)
        self._pool = pool
        self._command = sampler_command(settings.interval, settings.nvidia_smi)
        self._clock = clock
        self._on_sample = on_sample
        self._task: asyncio.Task[None] | None = None
        self.process: RemoteProcess | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"metrics {self.name}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                got = await self._sample_until_end()
            except HostKeyUnknown:
                self._stop_with("host key not trusted yet: open a shell on it (enter) once")
                await asyncio.sleep(RETRY_MAX)
                continue
            except ClusterdeckError as exc:
                self._stop_with(printable(exc.message, 120))
                got = False
            except Exception as exc:  # never let a node's fault escape the task
                log.warning("metrics sampler on %s failed", self.name, exc_info=True)
                self._stop_with(printable(as_user_error(exc).message, 120))
                got = False
            delay = RETRY_FIRST if got else min(delay * 2, RETRY_MAX)
            await asyncio.sleep(delay)

    async def _sample_until_end(self) -> bool:
        """Read samples until the remote loop ends; True when at least one sample came."""
        parser = SampleParser()
        got = False
        process = await self._pool.process(self.target, self._command, ask_host_key=False)
        self.process = process
        async with process:
            while data := await process.read():
                for sample in parser.feed(data, self._clock.monotonic()):
                    got = True
                    self.history.add(sample)
                    self._on_sample(self.name)
        if not parser.version_seen:
            self._stop_with("no metrics: the node has no /proc/stat or no POSIX sh (not Linux?)")
        else:
            self._stop_with("the sampler ended; restarting")
        return got

    def _stop_with(self, problem: str) -> None:
        self.history.problem = problem
        self._on_sample(self.name)


class NodeMetrics:
    """Samplers for the nodes of the shown job; `status` says what is sampled and why not."""

    def __init__(self, pool: ProcessStarter, *, settings: WatchSettings, clock: Clock) -> None:
        self.settings = settings
        self._pool = pool
        self._clock = clock
        self._samplers: dict[str, NodeSampler] = {}
        self._histories: dict[str, History] = {}
        self._asked: set[str] = set()
        self._job_key: str | None = None
        self._last: tuple[Sequence[Node], Callable[[Node], SshTarget]] = ((), _no_target)
        self._subscribers: Subscribers[str] = Subscribers("node metrics")
        self._closing: set[asyncio.Future[None]] = set()
        self.status = ""
        """A short note for the nodes pane ("" when every shown node is sampled)."""

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(node name)` after each sample or problem; returns the unsubscriber."""
        return self._subscribers.add(callback)

    def history(self, name: str) -> History | None:
        return self._histories.get(name)

    @property
    def sampled(self) -> list[str]:
        return sorted(self._samplers)

    def show(
        self, key: str | None, nodes: Sequence[Node], target_of: Callable[[Node], SshTarget]
    ) -> None:
        """Sample the running nodes of the job `key` that should be (None: stop everything)."""
        if key != self._job_key:
            self._job_key = key
            self._asked.clear()
            self._histories = {}
            self._stop_all()
        self._last = (nodes, target_of)
        # Unknown: not probed (an inventory node behind a jump host); a down one just fails.
        running = [n for n in nodes if n.state in _SAMPLED and n.port]
        wanted = self._wanted(running)
        for name in [n for n in self._samplers if n not in wanted]:
            self._stop(name)
        for node in running:
            if node.name in wanted and node.name not in self._samplers:
                self._start(node, target_of)

    def ask(self, node: Node) -> None:
        """Sample `node` even when the job has more nodes than `max_nodes` (or metrics are off)."""
        self._asked.add(node.name)
        if self._job_key is not None:
            nodes, target_of = self._last
            self.show(self._job_key, nodes, target_of)

    def _wanted(self, running: Sequence[Node]) -> set[str]:
        names = {n.name for n in running}
        mode, limit = self.settings.metrics, self.settings.max_nodes
        if mode == "on" or (mode == "auto" and len(running) <= limit):
            self.status = ""
            return names
        asked = self._asked & names
        why = "off" if mode == "off" else f"off above {limit} nodes ({len(running)} here)"
        self.status = f"metrics {why}: m on a node samples it" + (
            f" · {len(asked)} sampled" if asked else ""
        )
        return asked

    def _start(self, node: Node, target_of: Callable[[Node], SshTarget]) -> None:
        history = self._histories.get(node.name)
        try:
            target = target_of(node)
        except ClusterdeckError as exc:
            if history is None:
                history = self._histories[node.name] = History(self.settings.history_samples)
            history.problem = printable(exc.message, 120)
            return
        sampler = NodeSampler(
            self._pool,
            node.name,
            target,
            settings=self.settings,
            clock=self._clock,
            on_sample=self._subscribers.emit,
        )
        if history is not None:
            sampler.history = history
        self._histories[node.name] = sampler.history
        self._samplers[node.name] = sampler
        sampler.start()

    def _stop(self, name: str) -> None:
        sampler = self._samplers.pop(name, None)
        if sampler is not None:
            task = asyncio.ensure_future(sampler.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def _stop_all(self) -> None:
        for name in list(self._samplers):
            self._stop(name)

    async def close(self) -> None:
        samplers = list(self._samplers.values())
        self._samplers.clear()
        await asyncio.gather(*(s.close() for s in samplers), *self._closing, return_exceptions=True)


def _no_target(node: Node) -> SshTarget:
    raise ClusterdeckError(f"no SSH target for {node.name}")
