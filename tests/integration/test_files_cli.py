"""`clusterdeck get`, `put` and `watch` as processes, against a real sshd (an inventory
provider in a config file): exact copies, plain progress lines, and an exit status per fault."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sshd import TEST_USER, SshdServer, running_sshd

pytestmark = pytest.mark.sshd

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    with running_sshd(tmp_path / "sshd") as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, sshd: SshdServer) -> Path:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    sshd.write_known_hosts(state / "known_hosts")
    path = tmp_path / "config.toml"
    path.write_text(
        "[demo]\nenabled = false\n\n"
        '[providers.lab]\ntype = "inventory"\nprobe = false\n'
        f'user = "{TEST_USER}"\nkey = "{sshd.client_key}"\n\n'
        '[[providers.lab.clusters]]\nname = "lab"\n'
        f'nodes = ["127.0.0.1:{sshd.port}"]\n'
    )
    return path


def cli(
    config: Path, *args: str, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    home = config.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "CLUSTERDECK_STATE_DIR": str(config.parent / "state"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SSH_AUTH_SOCK", None)
    return subprocess.run(
        [sys.executable, "-m", "tui", "--config", str(config), *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
    )


def give(path: Path, server: SshdServer) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            shutil.chown(os.path.join(root, name), server.user, server.user)


def test_get_and_put_copy_exactly_and_say_so(
    tmp_path: Path, sshd: SshdServer, config: Path
) -> None:
    remote = sshd.shared_dir()
    data = os.urandom(3_000_000)
    (remote / "result file.bin").write_bytes(data)
    give(remote, sshd)
    dest = tmp_path / "got"
    dest.mkdir()
    got = cli(config, "get", f"lab:{remote}/result file.bin", str(dest))
    assert got.returncode == 0, got.stderr
    assert (dest / "result file.bin").read_bytes() == data
    assert "done: 1 file, 3.0 MB, size and SHA-256 match" in got.stdout
    assert "\x1b" not in got.stdout + got.stderr  # no terminal: plain lines

    folder = tmp_path / "inputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    put = cli(config, "put", str(folder), f"lab:127.0.0.1:{remote}")
    assert put.returncode == 0, put.stderr
    assert (remote / "inputs" / "sub" / "b.txt").read_text() == "b"
    assert "done: 2 files" in put.stdout


def test_each_fault_has_its_exit_status(tmp_path: Path, sshd: SshdServer, config: Path) -> None:
    remote = sshd.shared_dir()
    (remote / "there.txt").write_text("remote")
    give(remote, sshd)
    local = tmp_path / "there.txt"
    local.write_text("local")

    missing = cli(config, "get", f"lab:{remote}/nothing-here", str(tmp_path))
    assert missing.returncode == 4, missing.stderr
    assert "No such file" in missing.stderr and "nothing-here" in missing.stderr

    exists = cli(config, "get", f"lab:{remote}/there.txt", str(tmp_path))
    assert exists.returncode == 6, exists.stderr
    assert "exists already" in exists.stderr
    assert local.read_text() == "local"
    renamed = cli(config, "get", "--conflict", "rename", f"lab:{remote}/there.txt", str(tmp_path))
    assert renamed.returncode == 0, renamed.stderr
    assert (tmp_path / "there (1).txt").read_text() == "remote"

    nojob = cli(config, "get", "nojob:/x", str(tmp_path))
    assert nojob.returncode == 1 and "no job in 'nojob:/x'; jobs: lab" in nojob.stderr
    usage = cli(config, "get")
    assert usage.returncode == 2

    sshd.stop()
    down = cli(config, "put", str(local), f"lab:{remote}/")
    assert down.returncode == 3, down.stderr
    assert "refused" in down.stderr.lower()


def test_watch_downloads_new_files_as_they_appear(
    tmp_path: Path, sshd: SshdServer, config: Path
) -> None:
    remote = sshd.shared_dir() / "out"
    remote.mkdir()
    give(sshd.shared_dir(), sshd)
    dest = tmp_path / "watched"
    home = config.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "CLUSTERDECK_STATE_DIR": str(config.parent / "state"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "--config", str(config), "watch", "lab", str(dest),
         "--remote", str(remote), "--interval", "0.2"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    try:
        for step in range(3):
            (remote / f"step-{step}.dat").write_bytes(os.urandom(10_000 * (step + 1)))
            give(remote, sshd)
            deadline = time.monotonic() + WAIT
            while not (dest / f"step-{step}.dat").exists():
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "not downloaded"
                time.sleep(0.05)
        expected = hashlib.sha256((remote / "step-2.dat").read_bytes()).hexdigest()
        assert hashlib.sha256((dest / "step-2.dat").read_bytes()).hexdigest() == expected
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, err
    assert "watching lab:" in out
    assert out.count("done: 1 file") == 3
