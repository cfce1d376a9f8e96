"""Trusting an unknown host key: once, for good, or only while one job runs.

Job-scoped trust lives in its own known_hosts file (OpenSSH format, so `ssh` can read it too);
each line carries the job in its comment field (`clusterdeck-job=<id>`) and is dropped when
the job ends, so a cloud node's reused IP address never inherits yesterday's key.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import asyncssh

from tui.core.errors import HostKeyChanged, HostKeyUnknown
from tui.core.ssh.hostkeys import known_hosts_name, patterns_match, public_key_line

TrustChoice = Literal["once", "remember", "job"]
"""`once`: this connection only; `remember`: the app's known_hosts; `job`: while the job runs."""
HostKeyCallback = Callable[[HostKeyUnknown], Awaitable[TrustChoice | None]]
"""Asked about an unknown host key (a `TrustRequest`); None means "do not connect"."""
HostKeyAlert = Callable[[HostKeyChanged], Awaitable[None] | None]
"""Told about a changed host key (refused regardless); may return an awaitable: alert closed."""
JOB_TAG = "clusterdeck-job="


class TrustRequest(HostKeyUnknown):
    """An unknown host key the user is asked about.

    `job_id` is set when the target belongs to a job, so "trust for this job" can be offered.
    """

    def __init__(self, error: HostKeyUnknown, *, job_id: str | None = None) -> None:
        super().__init__(
            error.message,
            host=error.host,
            port=error.port,
            key_type=error.key_type,
            fingerprint=error.fingerprint,
            public_key=error.public_key,
        )
        self.job_id = job_id


def _tag(job_id: str) -> str:
    return JOB_TAG + quote(job_id, safe="")


def add_job_host(path: Path, host: str, port: int, key: asyncssh.SSHKey, job_id: str) -> None:
    """Append `host`:`port` with `key` to the job trust file, tagged with `job_id` (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = f"{known_hosts_name(host, port)} {public_key_line(key)} {_tag(job_id)}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    _replace(path, text + line)


def _line_job(line: str) -> str | None:
    fields = line.split()
    tags = [f for f in fields[3:] if f.startswith(JOB_TAG)]
    return tags[0] if tags else None


def _rewrite(path: Path, keep: Callable[[str | None], bool]) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return 0
    kept = [line for line in lines if keep(_line_job(line))]
    if len(kept) != len(lines):
        _replace(path, "".join(kept))
    return len(lines) - len(kept)


def forget_job(path: Path, job_id: str) -> int:
    """Drop every key trusted for `job_id`; returns how many lines went."""
    tag = _tag(job_id)
    return _rewrite(path, lambda found: found != tag)


def retain_jobs(path: Path, job_ids: Iterable[str]) -> int:
    """Drop the keys of every job not in `job_ids` (e.g. jobs that ended while the app was off)."""
    alive = {_tag(job) for job in job_ids}
    return _rewrite(path, lambda found: found is None or found in alive)


def trusted_jobs(path: Path) -> set[str]:
    """The job tags present in the job trust file (for tests and diagnostics)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    return {tag.removeprefix(JOB_TAG) for line in lines if (tag := _line_job(line))}


def _replace(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def job_key_lines(path: Path, host: str, port: int, job_id: str) -> list[str]:
    """The keys (`type base64`) trusted for `job_id` under `host`:`port` in the job trust file."""
    name, tag = known_hosts_name(host, port), _tag(job_id)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) > 3 and _line_job(line) == tag and patterns_match(fields[0], name):
            found.append(f"{fields[1]} {fields[2]}")
    return found


def pin_job_alias(path: Path, alias: str, key_lines: Iterable[str], job_id: str) -> None:
    """Trust `key_lines` under the bare name `alias` (an ssh `HostKeyAlias`) for `job_id`;
    earlier lines for that alias go. They are dropped with the job's other keys when it ends."""
    tag = _tag(job_id)
    try:
        old = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        old = []
    kept = [line for line in old if line.split()[:1] != [alias]]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    text = "".join(kept + [f"{alias} {key} {tag}\n" for key in key_lines])
    if text != "".join(old):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _replace(path, text)
