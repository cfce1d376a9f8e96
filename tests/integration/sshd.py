"""A private OpenSSH sshd on 127.0.0.1 for integration tests (see shared test-infra notes).

    with running_sshd(tmp_path / "sshd") as server:
        target = server.target()            # cdtest@127.0.0.1:<port> with the authorized key
        server.write_known_hosts(path)      # trust its host key
        shared = server.shared_dir()        # a directory the login user and the test both use
        server.stop(); server.start()       # kill it (with its sessions), bring it back

Runs as root (a PTY needs it), with its own host key, client key, authorized_keys and log, on a
free port. `stop()` kills the listener and every process below it (the per-connection sshd
children and their shells), found through /proc, by pid: nothing outside this server is touched.

Sessions log in as the test user `cdtest`, never as the invoking user: its home is
/var/lib/clusterdeck-test with an empty .bashrc and .profile, made by `ensure_test_user` (as
root). So the developer's shell start-up files (a slow `pyenv rehash` in root's ~/.bashrc) never
run in a test session, and a test's shell history or `less` history never lands in the real home.
The user cannot read the test's tmp_path (pytest keeps it 0700): files a remote command must
read or write go in `shared_dir()`, a private directory in the test user's home.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci_strict import IN_CI
from tui.core.models import SshTarget

SSHD = "/usr/sbin/sshd"
START_TIMEOUT = 10.0
TEST_USER = "cdtest"
"""The account every test sshd logs in as (never the invoking user)."""
TEST_HOME = Path("/var/lib/clusterdeck-test")
"""Its home: nothing in it but an empty .bashrc and .profile (and what sessions leave)."""
RC_FILES = (".bashrc", ".profile")
"""Start-up files kept empty in TEST_HOME (bash reads .bashrc even for `ssh host cmd`)."""
STALE_SHARED = 24 * 3600.0
"""A `shared_dir()` left behind this long ago (by a killed run) is removed at the next start."""


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


def _locked(name: str) -> bool:
    """True when /etc/shadow has a locked password (`!...`): with `UsePAM no` sshd then refuses
    even key logins ("account is locked"). `*` (no password, not locked) is what we want."""
    for line in Path("/etc/shadow").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return len(fields) > 1 and fields[1].startswith("!")
    return False


def ensure_user(name: str, home: Path | None = None) -> Path:
    """Create the unprivileged account `name` if needed (home `home`, or useradd's default with
    /etc/skel), unlock it for key logins; returns its home. Safe to race with other test runs."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        args = ["useradd", "-s", "/bin/bash", "-U"]
        args += ["-M", "-d", str(home)] if home is not None else ["-m"]
        result = subprocess.run([*args, name], capture_output=True, text=True)
        if result.returncode not in (0, 9):  # 9: created meanwhile by another run
            raise RuntimeError(f"useradd {name} failed: {result.stderr}") from None
    entry = pwd.getpwnam(name)
    if home is not None and Path(entry.pw_dir) != home:
        raise RuntimeError(
            f"user {name} exists with home {entry.pw_dir}, not {home}: "
            f"`usermod -d {home} {name}` (or `userdel {name}`) and run again"
        )
    if _locked(name):
        subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)
    return Path(entry.pw_dir)


@functools.cache
def ensure_test_user() -> Path:
    """The test user `cdtest` with TEST_HOME owned by it and empty start-up files (once per
    process; run again, it empties rc files someone filled). Returns the home."""
    home = ensure_user(TEST_USER, TEST_HOME)
    entry = pwd.getpwnam(TEST_USER)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    for name in RC_FILES:
        rc = home / name
        if rc.is_symlink() or (rc.exists() and rc.stat().st_size):
            rc.unlink()
        if not rc.exists():
            rc.touch(mode=0o644)
            os.chown(rc, entry.pw_uid, entry.pw_gid)
    stale = time.time() - STALE_SHARED
    for left in home.glob("sshd-*"):  # shared_dir()s of runs that were killed
        with contextlib.suppress(OSError):
            if left.is_dir() and left.stat().st_mtime < stale:
                shutil.rmtree(left, ignore_errors=True)
    return home


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
    """One private sshd: keys, config and log under `base`; logins as `user` (default: the test
    user, created when missing). `launcher` is put before the sshd command line (e.g. a mount
    namespace with the Slurm cluster's own /etc/hosts)."""

    def __init__(
        self,
        base: Path,
        *,
        port: int | None = None,
        user: str = TEST_USER,
        launcher: tuple[str, ...] = (),
    ) -> None:
        self.base = base
        self.port = port or free_port()
        self.host_key = base / "ssh_host_ed25519_key"
        self.client_key = base / "client_key"
        self.authorized_keys = base / "authorized_keys"
        self.config = base / "sshd_config"
        self.log = base / "sshd.log"
        self.user = user
        self.home = ensure_test_user() if user == TEST_USER else Path(pwd.getpwnam(user).pw_dir)
        self.launcher = launcher
        self.proc: subprocess.Popen[bytes] | None = None
        self._shared: Path | None = None
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
                    # sshd reads an AuthorizedKeysFile as the user, who cannot reach `base`;
                    # cat runs as root and prints ours (and nothing in the user's home counts).
                    "AuthorizedKeysFile none",
                    f"AuthorizedKeysCommand /bin/cat {self.authorized_keys}",
                    "AuthorizedKeysCommandUser root",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    f"AllowUsers {self.user}",  # nobody else: above all not the real root
                    f"PermitRootLogin {'prohibit-password' if self.user == 'root' else 'no'}",
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
            [*self.launcher, SSHD, "-D", "-f", str(self.config), "-E", str(self.log)],
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

    def close(self) -> None:
        """Stop, and remove `shared_dir()` if it was made."""
        self.stop()
        shared, self._shared = self._shared, None
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)

    def shared_dir(self) -> Path:
        """A directory (0700, owned by the login user, in its home) that remote commands and the
        test can both read and write; made on first use, removed by `close()`."""
        if self._shared is None:
            entry = pwd.getpwnam(self.user)
            path = self.home / f"sshd-{self.port}-{uuid.uuid4().hex[:8]}"
            path.mkdir(mode=0o700)
            os.chown(path, entry.pw_uid, entry.pw_gid)
            self._shared = path
        return self._shared

    def target(self, **changes: Any) -> SshTarget:
        """<user>@127.0.0.1:<port> with the authorized client key; keyword args override."""
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
        server.close()
