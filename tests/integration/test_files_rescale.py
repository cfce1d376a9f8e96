"""Rescale job files through the API (the fake platform on loopback): `get --api` with
checksums and resume, `watch --api` on a growing output list, `put --api` of an input file."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_rescale.server import API_KEY, FakeRescale, running_fake
from tui.app.cli import main
from tui.core.providers.rescale.credentials import ENV_VAR

WAIT = 30.0


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRescale]:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    monkeypatch.setenv("CLUSTERDECK_STATE_DIR", str(tmp_path / "state"))
    with running_fake() as server:
        yield server


def config(tmp_path: Path, fake: FakeRescale) -> str:
    path = tmp_path / "config.toml"
    path.write_text(
        '[demo]\nenabled = false\n[providers.cloud]\ntype = "rescale"\n'
        f'base_url = "{fake.base_url}"\n'
    )
    return str(path)


def run(tmp_path: Path, fake: FakeRescale, *args: str) -> int:
    return main(["--config", config(tmp_path, fake), *args])


def test_get_downloads_stored_outputs_checked_and_resumed(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    big = os.urandom(1_500_000)
    job = fake.add_job("wing", status="Completed")
    fake.write_output(job.id, "results/forces.csv", b"step,lift\n1,0.3\n")
    fake.write_output(job.id, "results/field.bin", big)
    fake.write_output(job.id, "other.txt", b"not wanted")
    dest = tmp_path / "got"
    assert run(tmp_path, fake, "get", "--api", "wing:results", str(dest)) == 0
    out = capsys.readouterr().out
    assert (dest / "results" / "field.bin").read_bytes() == big
    assert (dest / "results" / "forces.csv").read_bytes() == b"step,lift\n1,0.3\n"
    assert not (dest / "other.txt").exists()
    assert "done: 2 files" in out and "size and SHA-256 match" in out

    again = tmp_path / "again"
    part = again / "results" / ".field.bin.clusterdeck-part"
    part.parent.mkdir(parents=True)
    part.write_bytes(big[:600_000])  # an earlier, cut download
    assert run(tmp_path, fake, "get", "--api", "wing:results/field.bin", str(again)) == 0
    assert (again / "results" / "field.bin").read_bytes() == big
    assert "600.0 KB resumed" in capsys.readouterr().out


def test_a_damaged_download_is_a_checksum_mismatch(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    job = fake.add_job("wing", status="Completed")
    fake.write_output(job.id, "out.dat", b"A" * 1000)
    fake.fail("GET", r"^files/O\w+/contents/$", 200, body=b"B" * 1000)  # same size, other bytes
    dest = tmp_path / "got"
    assert run(tmp_path, fake, "get", "--api", "wing:out.dat", str(dest)) == 5
    err = capsys.readouterr().err
    assert "SHA-256 of the copy of out.dat differs" in err
    assert list(dest.rglob("*")) == []  # neither the file nor its partial file


def test_watch_fetches_outputs_as_they_appear_then_the_stored_copies(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    job = fake.add_job("wing", status="Executing")
    dest = tmp_path / "watched"
    status: list[int] = []
    watcher = threading.Thread(
        target=lambda: status.append(
            run(tmp_path, fake, "watch", "--api", "wing", str(dest), "--interval", "0.1")
        )
    )
    watcher.start()
    try:
        for step in range(3):
            fake.write_output(job.id, f"step-{step}.csv", f"step {step}\n".encode())
            deadline = time.monotonic() + WAIT
            while not (dest / f"step-{step}.csv").exists():
                assert watcher.is_alive() and time.monotonic() < deadline, "not fetched"
                time.sleep(0.02)
        fake.write_output(job.id, "step-2.csv", b"step 2, final\n")  # rewritten at the end
        fake.complete(job.id)
        watcher.join(WAIT)
    finally:
        if watcher.is_alive():
            fake.complete(job.id)
            watcher.join(WAIT)
    assert status == [0]
    assert (dest / "step-2.csv").read_bytes() == b"step 2, final\n"  # the stored copy won
    assert (dest / "process_output.log").exists()
    assert fake.seen("GET", r"runs/1/directory-contents/$") >= 3
    assert "watching wing's files through the API" in capsys.readouterr().out


def test_put_stores_an_input_file(
    tmp_path: Path, fake: FakeRescale, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_job("wing", status="Executing")
    source = tmp_path / "mesh input.cgns"
    data = os.urandom(200_000)
    source.write_bytes(data)
    assert run(tmp_path, fake, "put", "--api", str(source), "wing:") == 0
    assert fake.world.uploads == {"U0001": ("mesh input.cgns", data)}
    assert "-> U0001" in capsys.readouterr().out
