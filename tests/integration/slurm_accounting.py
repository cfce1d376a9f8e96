"""A Slurm test cluster with accounting: slurmdbd on a private MariaDB, so `sacct` answers.

    cluster = AccountingCluster(Path(tempfile.mkdtemp()))
    cluster.start()          # MariaDB + slurmdbd first, then what `SlurmCluster` starts
    cluster.stop_dbd(); cluster.start_dbd()
    cluster.stop()

MariaDB gets a fresh data directory (`mariadb-install-db`, about half a second), listens on a
free 127.0.0.1 port and a socket under the run dir, and runs as `mysql` with no config file of
the machine's (`--no-defaults`). slurmdbd logs in with a user created for the run with a random
password. No systemd anywhere: every daemon is a child of the test process, stopped by pid.
Accounting gathers with `jobacct_gather/linux` every second, so MaxRSS and TotalCPU are real.

Tests take the module-scoped fixture (one cluster per test module, about 5 s to start):

    from tests.integration.slurm_accounting import accounting_cluster_fixture  # noqa: F401
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci_strict import IN_CI
from tests.integration.slurm_cluster import SlurmCluster, missing_binaries
from tests.integration.sshd import SSHD, free_port

ACCOUNTING_DAEMONS = ("mariadbd", "mariadb-install-db", "mariadb", "slurmdbd", "sacctmgr", "sacct")
ACCOUNT = "clusterdeck"


def missing_accounting_binaries() -> list[str]:
    """The MariaDB/slurmdbd programs the accounting cluster needs that are not installed."""
    return [name for name in ACCOUNTING_DAEMONS if shutil.which(name) is None]


class AccountingCluster(SlurmCluster):
    """`SlurmCluster` plus MariaDB and slurmdbd, with accounting on in slurm.conf."""

    def __init__(self, base: Path, **kwargs: object) -> None:
        super().__init__(base, **kwargs)  # type: ignore[arg-type]
        self.db_base = Path(tempfile.mkdtemp(prefix="cd-mariadb-"))
        self.db_socket = self.db_base / "run" / "mysqld.sock"
        self.db_port = 0
        self.dbd_port = 0
        self.dbd_conf = base / "etc" / "slurmdbd.conf"
        self.db_password = secrets.token_hex(16)
        self.mariadbd: subprocess.Popen[bytes] | None = None
        self.slurmdbd: subprocess.Popen[bytes] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def _write_conf(self) -> None:
        """slurm.conf with accounting; MariaDB and slurmdbd are started here, before slurmctld."""
        super()._write_conf()
        self.dbd_port = free_port()
        lines = []
        for line in self.conf.read_text().splitlines():
            if line.startswith("AccountingStorageType="):
                line = "AccountingStorageType=accounting_storage/slurmdbd"
                lines += [
                    "AccountingStorageHost=127.0.0.1",
                    f"AccountingStoragePort={self.dbd_port}",
                    f"AccountingStoragePass={self.socket}",  # the munge socket, for slurmdbd
                    "AccountingStorageTRES=cpu,mem,node",
                ]
            elif line.startswith("JobAcctGatherType="):
                line = "JobAcctGatherType=jobacct_gather/linux"
                lines.append("JobAcctGatherFrequency=task=1")
            lines.append(line)
        self.conf.write_text("\n".join(lines) + "\n")
        self._start_mariadb()
        self._write_dbd_conf()
        self.start_dbd()
        self._register()

    def stop(self) -> None:
        """Stop the cluster, then slurmdbd and MariaDB, and remove their files."""
        try:
            super().stop()
        finally:
            self.stop_dbd()
            if self.mariadbd is not None:
                self._stop_proc(self.mariadbd)
                self.mariadbd = None
            shutil.rmtree(self.db_base, ignore_errors=True)

    def start_dbd(self) -> None:
        """(Re)start slurmdbd and wait until it answers `sacctmgr`."""
        assert self.slurmdbd is None, "slurmdbd already runs"
        self.slurmdbd = self._spawn([*self.launcher, "slurmdbd", "-D"], "slurmdbd")
        self._wait(self._dbd_up, "slurmdbd up", proc=self.slurmdbd)

    def stop_dbd(self) -> None:
        """Stop slurmdbd (slurmctld keeps running and queues what it would have sent)."""
        if self.slurmdbd is not None:
            self._stop_proc(self.slurmdbd)
            self.slurmdbd = None

    # --- helpers for tests ---------------------------------------------------------------------

    def sacct_json(self, *args: str) -> str:
        """`sacct --json` as the test user (what the provider would read)."""
        return self.as_user("sacct", "--json", *args).stdout

    def wait_accounted(self, job_id: str, state: str, timeout: float = 30.0) -> None:
        """Wait until `sacct` (not only squeue) has the job in `state`."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.as_user(
                "sacct", "-n", "-X", "-P", "-j", job_id, "--format=State", check=False
            ).stdout
            if out.split() and out.split()[0].startswith(state):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"sacct has job {job_id} as {out.strip()!r}, not {state}")
            time.sleep(0.1)

    # --- internals -----------------------------------------------------------------------------

    def _start_mariadb(self) -> None:
        data, run = self.db_base / "data", self.db_base / "run"
        for path in (data, run):
            path.mkdir(parents=True, exist_ok=True)
            shutil.chown(path, "mysql", "mysql")
        self.db_base.chmod(0o755)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data}",
                "--user=mysql",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                "--skip-name-resolve",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.db_port = free_port()
        self.mariadbd = self._spawn(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                "--user=mysql",
                f"--socket={self.db_socket}",
                f"--port={self.db_port}",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                f"--pid-file={run / 'mysqld.pid'}",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
            ],
            "mariadbd",
        )
        self._wait(self._db_up, "MariaDB up", proc=self.mariadbd)
        user = f"'slurm'@'127.0.0.1' IDENTIFIED BY '{self.db_password}'"
        self._sql(f"CREATE USER {user}; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")

    def _sql(self, statements: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.db_socket}", "-uroot", "-e", statements],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )

    def _db_up(self) -> bool:
        probe = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.db_socket}", "-uroot", "-e", "SELECT 1"],
            capture_output=True,
        )
        return probe.returncode == 0

    def _write_dbd_conf(self) -> None:
        b = self.base
        lines = [
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.socket}",
            "DbdHost=localhost",
            "DbdAddr=127.0.0.1",
            f"DbdPort={self.dbd_port}",
            "SlurmUser=root",
            f"LogFile={b}/log/slurmdbd.log",
            f"PidFile={b}/run/slurmdbd.pid",
            "StorageType=accounting_storage/mysql",
            "StorageHost=127.0.0.1",
            f"StoragePort={self.db_port}",
            "StorageUser=slurm",
            f"StoragePass={self.db_password}",
            "StorageLoc=slurm_acct_db",
        ]
        self.dbd_conf.write_text("\n".join(lines) + "\n")
        self.dbd_conf.chmod(0o600)  # slurmdbd refuses a readable config (it holds the password)

    def _sacctmgr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sacctmgr", "-i", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        )

    def _dbd_up(self) -> bool:
        with contextlib.suppress(subprocess.SubprocessError):
            return self._sacctmgr("list", "cluster", "-n", check=False).returncode == 0
        return False

    def _register(self) -> None:
        """The cluster, an account and the test user, so jobs are accounted to them."""
        self._sacctmgr("add", "cluster", "clusterdeck")
        self._sacctmgr("add", "account", ACCOUNT, "cluster=clusterdeck")
        self._sacctmgr("add", "user", self.user, f"account={ACCOUNT}", "cluster=clusterdeck")

    def _tail(self) -> str:
        extra = []
        for path in (self.db_base / "data").glob("*.err"):
            with contextlib.suppress(OSError):
                extra.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join([super()._tail(), *extra])


def _require_accounting() -> None:
    missing = missing_binaries() + missing_accounting_binaries()
    missing += [] if Path(SSHD).exists() else [SSHD]
    why = ""
    if missing:
        why = f"{', '.join(missing)} not installed (tests/run.sh installs mariadb-server, slurmdbd)"
    elif os.geteuid() != 0:
        why = "the Slurm accounting test cluster must be started as root"
    if why:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module", name="accounting_cluster")
def accounting_cluster_fixture() -> Iterator[AccountingCluster]:
    """One accounting cluster per test module, shared by its tests, stopped after them."""
    _require_accounting()
    cluster = AccountingCluster(Path(tempfile.mkdtemp(prefix="cd-slurm-acct-")))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
