"""Services announced in job logs: what is recognised, and what is not."""

from __future__ import annotations

import pytest

from tui.core.tunnels.detect import DetectedService, ServiceDetector, detect_service

JUPYTER = [
    "[I 12:01:07.123 ServerApp] Jupyter Server 2.14.0 is running at:",
    "[I 12:01:07.123 ServerApp] http://gpu-node-3:8888/lab?token=0a1b2c3d4e5f",
    "[I 12:01:07.123 ServerApp]     http://127.0.0.1:8888/lab?token=0a1b2c3d4e5f",
]


@pytest.mark.parametrize(
    ("line", "port", "host", "path", "preset"),
    [
        ("12:00:01 server listening on port 41234", 41234, "localhost", "/", "custom"),
        ("Listening on port 6006", 6006, "localhost", "/", "tensorboard"),
        ("INFO: listening on 0.0.0.0:8050", 8050, "localhost", "/", "custom"),
        ("Serving at :8000", 8000, "localhost", "/", "custom"),
        (
            "TensorBoard 2.16 at http://localhost:6006/ (Press CTRL+C to quit)",
            6006,
            "localhost",
            "/",
            "tensorboard",
        ),
        ("see http://127.0.0.1:9000/status now", 9000, "127.0.0.1", "/status", "custom"),
        (JUPYTER[1], 8888, "gpu-node-3", "/lab?token=0a1b2c3d4e5f", "jupyter"),
        (
            "    http://node12:8889/?token=abc or http://127.0.0.1:8889/?token=abc",
            8889,
            "127.0.0.1",
            "/?token=abc",
            "jupyter",
        ),
        ("Xvnc listening on port 5901", 5901, "localhost", "/", "vnc"),
    ],
)
def test_recognised(line: str, port: int, host: str, path: str, preset: str) -> None:
    found = detect_service(line)
    assert found is not None
    assert (found.port, found.remote_host, found.path, found.preset) == (port, host, path, preset)


@pytest.mark.parametrize(
    "line",
    [
        "SSH: alice@10.0.0.4 port 22",
        "iter 412 residual 3.2e-05",
        "listening on port 70000",
        "see https://example.org/docs for help",
        "writing checkpoint chk_000100.h5 (2.1 GB)",
        "",
    ],
)
def test_not_recognised(line: str) -> None:
    assert detect_service(line) is None


def test_jupyter_token_is_kept_in_the_spec_and_url() -> None:
    found = detect_service(JUPYTER[2])
    assert found is not None
    assert found.token == "0a1b2c3d4e5f"
    assert found.label == "Jupyter on port 8888"
    spec = found.to_spec(node="master-0", job_key="demo:1", local_port=18888)
    assert (spec.remote_host, spec.remote_port, spec.local_port) == ("127.0.0.1", 8888, 18888)
    assert spec.url_path == "/lab?token=0a1b2c3d4e5f"
    assert spec.name == "jupyter" and spec.is_web


def test_vnc_is_not_a_web_page() -> None:
    found = detect_service("vncserver: listening on port 5901")
    assert found == DetectedService(5901, scheme="", preset="vnc", line=found.line if found else "")
    assert not found.to_spec(node="n").is_web


def test_detector_reports_each_service_once() -> None:
    detector = ServiceDetector()
    first = detector.feed([*JUPYTER, "server listening on port 41234"])
    assert [(s.remote_host, s.port) for s in first] == [("gpu-node-3", 8888), ("localhost", 41234)]
    assert detector.feed(JUPYTER) == []
    assert detector.feed(["server listening on port 41235"])[0].port == 41235
