"""`clusterdeck ssh-config` on the demo: printed blocks, --write, and the errors' exit statuses."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from tui.app.cli import main


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["ssh-config", "--demo", *args])
    return status, out.getvalue(), err.getvalue()


def test_prints_every_running_jobs_master_and_a_named_node(isolated_home: Path) -> None:
    status, out, _ = run()
    assert status == 0
    assert out.startswith("# the demo's nodes run inside clusterdeck")
    assert "Host clusterdeck-demo-4207-master-0\n" in out
    status, out, _ = run("--job", "cfd-wing", "--node", "worker-2")
    assert status == 0 and "Host clusterdeck-demo-4207-worker-2\n" in out
    assert "master-0" not in out


def test_writes_beside_the_users_own_hosts(isolated_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "ssh" / "clusterdeck.conf"
    target.parent.mkdir()
    target.write_text("Host mine\n    User me\n")
    status, out, _ = run("--job", "4207", "--write", str(target))
    assert status == 0
    assert f"added clusterdeck-demo-4207-master-0 in {target}" in out
    assert f"Include {target}" in out
    assert target.read_text().startswith("Host mine\n    User me\n\n# >>> clusterdeck ")
    status, out, _ = run("--job", "4207", "--write", str(target))
    assert "replaced clusterdeck-demo-4207-master-0" in out
    assert target.read_text().count("Host clusterdeck-") == 1


def test_unknown_jobs_and_nodes_and_queued_jobs_exit_1(isolated_home: Path) -> None:
    status, _, err = run("--job", "nope")
    assert status == 1 and "no job 'nope'; jobs: cfd-wing (4207, running)" in err
    status, _, err = run("--job", "cfd-wing", "--node", "gpu9")
    assert status == 1 and "has no node 'gpu9'; its nodes: master-0" in err
    status, _, err = run("--job", "md-run")
    assert status == 1 and "md-run has no allocation yet: it is pending" in err
