"""An in-house screenshot fixture: compares SVGs with `screenshots/<name>.svg`.

`pytest --update-screenshots` rewrites them; a mismatch writes the new SVG to
`tests/.snapshot-failures/<name>.svg` and fails with both paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from tests.ci_strict import IN_CI

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
FAILURES = ROOT / "tests" / ".snapshot-failures"

# Demo nodes listen on port 0, so their (always five-digit, ephemeral) ports vary per run.
_PORTS = re.compile(r"(127\.0\.0\.1:|port&#160;)\d{5}")


def normalize(svg: str) -> str:
    """Remove what differs between identical runs: Rich's content-hash ids and demo ports."""
    svg = re.sub(r"\bterminal-\d+-", "terminal-", svg)
    svg = re.sub(r"\bterminal-\d+\b", "terminal", svg)
    return _PORTS.sub(lambda m: m.group(1) + "40000", svg)


Snap = Callable[[App[Any], str], None]


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Snap:
    update = bool(request.config.getoption("--update-screenshots"))

    def compare(app: App[Any], name: str) -> None:
        svg = normalize(app.export_screenshot(title=name))
        expected_path = SCREENSHOTS / f"{name}.svg"
        if update or (not expected_path.exists() and not IN_CI):
            SCREENSHOTS.mkdir(exist_ok=True)
            expected_path.write_text(svg)
            return
        if not expected_path.exists():
            pytest.fail(f"no baseline {expected_path}; run pytest --update-screenshots")
        if svg != expected_path.read_text():
            FAILURES.mkdir(parents=True, exist_ok=True)
            (FAILURES / f"{name}.svg").write_text(svg)
            pytest.fail(
                f"screenshot {name} differs from {expected_path}; new one in "
                f"{FAILURES / (name + '.svg')} (pytest --update-screenshots to accept)"
            )

    return compare


@pytest.fixture
def save_screenshot(request: pytest.FixtureRequest) -> Snap:
    """For screens showing live data (real Slurm, ports, clocks): written with
    `--update-screenshots`, never compared."""
    update = bool(request.config.getoption("--update-screenshots"))

    def save(app: App[Any], name: str) -> None:
        svg = normalize(app.export_screenshot(title=name))
        if update:
            (SCREENSHOTS / f"{name}.svg").write_text(svg)

    return save


@pytest.fixture(autouse=True)
def steady_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Node metrics from a fixed series instead of the live sampler (the machine's real load
    would change every screenshot); everything from the histories on is the real code."""
    from tui.core.models import Node, SshTarget
    from tui.core.watch.metrics import GpuSample, History, Sample
    from tui.core.watch.sampler import NodeMetrics

    def start(self: NodeMetrics, node: Node, target_of: Callable[[Node], SshTarget]) -> None:
        index = int(node.name.rsplit("-", 1)[-1]) if node.name[-1].isdigit() else 0
        history = History(self.settings.history_samples)
        for step in range(40):
            busy = 35 + 9 * ((step * 3 + index * 5) % 7)
            gpu = (GpuSample(60.0 + step % 30, 30_000.0, 81_920.0),) if index == 0 else ()
            history.add(
                Sample(
                    at=2.0 * step,
                    cpu=float(busy),
                    load=busy / 25,
                    cpus=4,
                    mem_used_kib=(5 + index) * 1024**2 + step * 2048,
                    mem_total_kib=16 * 1024**2,
                    gpus=gpu,
                )
            )
        self._histories[node.name] = history
        self._subscribers.emit(node.name)

    monkeypatch.setattr(NodeMetrics, "_start", start)
