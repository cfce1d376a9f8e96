"""The node detail (`m`): the highlighted node's metrics now and over the last minutes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.screens.rows import memory_text
from tui.core.printable import inert
from tui.core.watch.metrics import History
from tui.core.watch.sampler import NodeMetrics
from widgets.tables.spark import sparkline

REFRESH = 1.0
"""Seconds between two redraws of the detail."""
MAX_GPU_LINES = 8
SPARK_WIDTH = 100
"""Samples in a sparkline of the detail (one character each, the newest on the right)."""


class NodeDetailScreen(ModalScreen[None]):
    """CPU, memory and GPU figures of one node, with sparklines of the kept history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,m,q", "dismiss", "Close", id="node-detail-close"),
    ]

    DEFAULT_CSS = """
    NodeDetailScreen { align: center middle; }
    #node-detail {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #node-detail Static, #gpu-sparks { height: auto; }
    #node-detail .label { color: $text-muted; margin-top: 1; }
    #node-detail .spark { color: $success; }
    """

    def __init__(self, metrics: NodeMetrics, node: str) -> None:
        super().__init__()
        self.metrics = metrics
        self.node = node

    def compose(self) -> ComposeResult:
        with Vertical(id="node-detail") as box:
            box.border_title = inert(f"Node {self.node}")
            box.border_subtitle = "esc to close"
            yield Static(id="node-summary", markup=False)
            yield Static(classes="label", id="label-cpu", markup=False)
            yield Static(classes="spark", id="spark-cpu", markup=False)
            yield Static(classes="label", id="label-mem", markup=False)
            yield Static(classes="spark", id="spark-mem", markup=False)
            with Vertical(id="gpu-sparks"):
                for index in range(MAX_GPU_LINES):
                    yield Static(classes="label", id=f"label-gpu-{index}", markup=False)
                    yield Static(classes="spark", id=f"spark-gpu-{index}", markup=False)

    def on_mount(self) -> None:
        self._redraw()
        self.set_interval(REFRESH, self._redraw)

    def _redraw(self) -> None:
        history = self.metrics.history(self.node)
        self.query_one("#node-summary", Static).update(summary(history, self.metrics))
        self._spark("cpu", "CPU busy, % of all CPUs", history.cpu_series() if history else [])
        self._spark("mem", "Memory in use, %", history.mem_series() if history else [])
        last = history.last if history else None
        count = len(last.gpus) if last else 0
        for index in range(MAX_GPU_LINES):
            name = f"gpu-{index}"
            shown = index < count and history is not None
            self.query_one(f"#spark-{name}").display = shown
            self.query_one(f"#label-{name}").display = shown
            if shown and history is not None:
                self._spark(name, f"GPU {index} utilisation, %", history.gpu_series(index))

    def _spark(self, name: str, label: str, values: list[float]) -> None:
        """A 0..100 sparkline of `values`, labelled with the newest, lowest and highest."""
        span = (
            f": now {values[-1]:.0f}, lowest {min(values):.0f}, highest {max(values):.0f}"
            if values
            else " (no data yet)"
        )
        self.query_one(f"#label-{name}", Static).update(label + span)
        width = min(SPARK_WIDTH, max(1, len(values)))
        self.query_one(f"#spark-{name}", Static).update(sparkline(values, width))


def summary(history: History | None, metrics: NodeMetrics) -> str:
    """The figures of the last sample, and how much history there is; or why there is none."""
    if history is None:
        return metrics.status or "not sampled"
    last = history.last
    lines = []
    if history.problem:
        lines.append(f"no fresh samples: {history.problem}")
    if last is None:
        lines.append("waiting for the first sample…")
        return "\n".join(lines)
    cpu = "…" if last.cpu is None else f"{last.cpu:.0f}%"
    lines.append(
        f"CPU {cpu} of {last.cpus} · load {last.load:.2f} · memory {memory_text(last)} "
        f"({last.mem_percent:.0f}%)"
    )
    for index, gpu in enumerate(last.gpus):
        lines.append(
            f"GPU {index}: {gpu.util:.0f}% · memory {gpu.mem_used / 1024:.1f}/"
            f"{gpu.mem_total / 1024:.1f}G"
        )
    span = len(history.samples) * metrics.settings.interval
    lines.append(
        f"{len(history.samples)} samples, every {metrics.settings.interval} s (the last "
        f"{span // 60} min {span % 60} s); the figures are the whole node's, "
        "other jobs on a shared node included"
    )
    return "\n".join(lines)
