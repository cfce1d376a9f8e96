"""Job-scoped host key trust, known_hosts oddities, and SSH config Include loops."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from tui.core.errors import SshError
from tui.core.models import SshTarget
from tui.core.ssh.hostkeys import entries_for, entry_at, fingerprint
from tui.core.ssh.resolve import check_includes, resolve_target
from tui.core.ssh.trust import add_job_host, forget_job, retain_jobs, trusted_jobs


@pytest.fixture(scope="module")
def keys() -> list[asyncssh.SSHKey]:
    return [asyncssh.generate_private_key("ssh-ed25519") for _ in range(3)]


def test_job_trust_is_a_known_hosts_file_tagged_per_job(
    tmp_path: Path, keys: list[asyncssh.SSHKey]
) -> None:
    path = tmp_path / "state" / "known_hosts.jobs"
    add_job_host(path, "10.0.0.4", 22, keys[0], "job 4711")
    add_job_host(path, "10.0.0.5", 2222, keys[1], "job 4711")
    add_job_host(path, "10.0.0.4", 22, keys[2], "job-99")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().splitlines()[0].endswith(" clusterdeck-job=job%204711")
    assert trusted_jobs(path) == {"job%204711", "job-99"}
    found = entries_for([path], "10.0.0.5", 2222)
    assert [fingerprint(e.key) for e in found] == [fingerprint(keys[1])]
    with path.open("a") as out:
        out.write("# a comment kept as is\nnot a key line\n")
    assert forget_job(path, "job 4711") == 2
    assert forget_job(path, "job 4711") == 0
    text = path.read_text()
    assert "# a comment kept as is\nnot a key line\n" in text
    assert [fingerprint(e.key) for e in entries_for([path], "10.0.0.4")] == [fingerprint(keys[2])]
    assert retain_jobs(path, ["job-100"]) == 1
    assert entries_for([path], "10.0.0.4") == ()
    assert forget_job(tmp_path / "missing", "x") == 0


def test_malformed_known_hosts_lines_are_skipped_and_lines_counted(
    tmp_path: Path, keys: list[asyncssh.SSHKey]
) -> None:
    line = keys[0].export_public_key().decode().split()
    path = tmp_path / "known_hosts"
    path.write_text(
        "\n".join(
            [
                "host-only",
                "h ssh-ed25519 !!!!",
                "@bogus-marker h ssh-ed25519 AAAA",
                f"h {line[0]} {line[1]}",
                "\x00\xff binary junk",
            ]
        )
    )
    assert [e.line for e in entries_for([path], "h")] == [4]
    entry = entry_at(path, 4)
    assert entry is not None and entry.key == keys[0].convert_to_public()
    assert entry_at(path, 1) is None


def test_include_loop_is_named(isolated_home: Path) -> None:
    ssh = isolated_home / ".ssh"
    ssh.mkdir()
    (ssh / "config").write_text("Host a\n  Port 2200\nInclude loop1\n")
    (ssh / "loop1").write_text("Include ~/.ssh/loop2\n")
    (ssh / "loop2").write_text("include = loop1\n")
    with pytest.raises(SshError, match=r"Include loop: .*loop1 -> .*loop2 -> .*loop1"):
        check_includes([ssh / "config"])


async def test_resolving_through_an_include_loop_fails_cleanly(isolated_home: Path) -> None:
    ssh = isolated_home / ".ssh"
    ssh.mkdir()
    (ssh / "config").write_text("Include config\n")
    with pytest.raises(SshError) as caught:
        await resolve_target(SshTarget("somewhere"), [ssh / "config"])
    assert "Include loop" in caught.value.message
    deep = [ssh / f"c{i}" for i in range(20)]
    for i, path in enumerate(deep[:-1]):
        path.write_text(f"Include c{i + 1}\n")
    deep[-1].write_text("Host *\n")
    with pytest.raises(SshError, match="deeper than 16"):
        check_includes([deep[0]])
