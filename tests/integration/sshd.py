"""A private OpenSSH sshd on 127.0.0.1 for integration tests (see shared test-infra notes).

    with running_sshd(tmp_path / "sshd") as server:
        target = server.target()            # root@127.0.0.1:<port> with the authorized key
        server.write_known_hosts(path)      # trust its host key
        server.stop(); server.start()       # kill it (with its sessions), bring it back

Runs as root (a PTY needs it), with its own host key, client key, authorized_keys and log, on a
free port. `stop()` kills the listener and every process below it (the per-connection sshd
children and their shells), found through /proc, by pid: nothing outside this server is touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.core.models import SshTarget

SSHD = "/usr/sbin/sshd"
START_TIMEOUT = 10.0
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_sshd() -> None:
    """Skip when OpenSSH's sshd/ssh-keygen are missing; in CI fail instead."""
    missing = [p for p in (SSHD, "ssh-keygen", "ssh-agent", "ssh-add") if shutil.which(p) is None]
    if not missing and os.geteuid() == 0:
        return
    why = f"{', '.join(missing)} not installed" if missing else "sshd tests must run as root"
    message = f"{why} (tests/run.sh installs openssh-server)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, *, kind: str = "ed25519", passphrase: str = "", fmt: str = "") -> Path:
    """Make a key pair with ssh-keygen (`fmt` e.g. "PEM"); returns the private key's path."""
    args = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", path.name, "-f", str(path)]
    if fmt:
        args += ["-m", fmt]
    subprocess.run(args, check=True, capture_output=True)
    return path


def ssh_keygen_fingerprint(pub: Path) -> str:
    """`SHA256:...` as `ssh-keygen -lf` prints it."""
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True)
    return out.stdout.decode().split()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class SshdServer:
    """One private sshd: keys, config and log under `base`."""

    def __init__(self, base: Path, *, port: int | None = None) -> None:
        self.base = base
        self.port = port or free_port()
        self.host_key = base / "ssh_host_ed25519_key"
        self.client_key = base / "client_key"
        self.authorized_keys = base / "authorized_keys"
        self.config = base / "sshd_config"
        self.log = base / "sshd.log"
        self.user = "root"
        self.proc: subprocess.Popen[bytes] | None = None
        self._prepare()

    def _prepare(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        keygen(self.host_key)
        keygen(self.client_key)
        self.authorize(self.client_key)
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.base / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PermitUserEnvironment no",
                    "AllowTcpForwarding yes",
                    "PermitTTY yes",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "UseDNS no",
                    "LogLevel INFO",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            )
        )
        subprocess.run([SSHD, "-t", "-f", str(self.config)], check=True, capture_output=True)

    def authorize(self, private_key: Path) -> None:
        """Let `private_key` log in."""
        pub = Path(f"{private_key}.pub").read_text()
        with self.authorized_keys.open("a") as out:
            out.write(pub if pub.endswith("\n") else pub + "\n")

    def start(self) -> None:
        """Start sshd (same port and host key as before) and wait until it accepts."""
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-f", str(self.config), "-E", str(self.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepting():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text()[-2000:] if self.log.exists() else ""
                self.stop()
                raise RuntimeError(f"sshd did not start on port {self.port}:\n{tail}")
            time.sleep(0.01)

    def _accepting(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        """Kill sshd and all its sessions (SIGKILL: connections drop without a goodbye)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for pid in [proc.pid, *_descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=START_TIMEOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while self._accepting() and time.monotonic() < deadline:
            time.sleep(0.01)

    def target(self, **changes: Any) -> SshTarget:
        """root@127.0.0.1:<port> with the authorized client key; keyword args override."""
        base = SshTarget("127.0.0.1", self.port, self.user, self.client_key)
        return dataclasses.replace(base, **changes)

    def host_public_key(self) -> str:
        """The host key in OpenSSH one-line format (type and base64, no comment)."""
        kind, blob = Path(f"{self.host_key}.pub").read_text().split()[:2]
        return f"{kind} {blob}"

    def write_known_hosts(self, path: Path, *, key_line: str | None = None) -> Path:
        """Append `[127.0.0.1]:<port> <host key>` (or another key line) to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(f"[127.0.0.1]:{self.port} {key_line or self.host_public_key()}\n")
        return path

    def accepted_logins(self) -> int:
        """How many logins sshd has accepted so far (from its log)."""
        if not self.log.exists():
            return 0
        return len(re.findall(r"Accepted publickey for ", self.log.read_text()))


@contextlib.contextmanager
def running_sshd(base: Path) -> Iterator[SshdServer]:
    """Start a private sshd under `base`; stop it (and its sessions) at the end."""
    require_sshd()
    server = SshdServer(base)
    server.start()
    try:
        yield server
    finally:
        server.stop()
