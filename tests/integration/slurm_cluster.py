"""A private Slurm 22.05+ cluster on loopback for integration tests (see shared test-infra notes).

    cluster = SlurmCluster(Path(tempfile.mkdtemp()))
    cluster.start()                 # munged, slurmctld, 4 slurmd, and an sshd as the login host
    job = cluster.sbatch("--wrap", "echo hi", workdir=cluster.workdir)
    cluster.wait_state(job, "COMPLETED")
    cluster.stop_controller(); cluster.start_controller()
    cluster.stop()                  # scancel, stop every daemon by pid, kill stray slurmstepd

Everything lives under `base` (0755, so the test user can read the config and reach the munge
socket). Ports are picked free at start-up, so other sessions' daemons on this machine are left
alone. The login sshd sets `SLURM_CONF` for every session (`SetEnv`), so a plain `squeue` works.

Loopback only, whatever the machine's hostname resolves to. With
`CommunicationParameters=NoInAddrAny,NoCtldInAddrAny` Slurm binds every listening socket
(slurmctld, slurmd, srun) to the address of `gethostname()`, not to NodeAddr: with the Debian
installer's `127.0.1.1 <host>` line slurmd listened on 127.0.1.1 while slurmctld sent
REQUEST_BATCH_JOB_LAUNCH to NodeAddr 127.0.0.1 ("Communication connection failure"); with a DNS
name it would bind a real interface. So munged (a credential carries that address too),
slurmctld, each slurmd (and the jobs below them) and the login sshd run in a private mount
namespace (`unshare --mount`) whose /etc/hosts is ours and says `127.0.0.1 <host>`; nothing
outside the namespace sees it. Where namespaces are refused, the cluster runs without one only
if the hostname already resolves to 127.0.0.1, and fails with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from tests.integration.sshd import SshdServer, ensure_user, free_port

USER = "slurmtest"
NODE_COUNT = 4
START_TIMEOUT = 20.0
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "runuser", "setpriv")


def missing_binaries() -> list[str]:
    """The Slurm/munge programs the cluster needs that are not installed."""
    return [name for name in DAEMONS if shutil.which(name) is None]


def _resolve_v4(name: str) -> str | None:
    """The first IPv4 address `name` resolves to here (None when it does not resolve)."""
    try:
        return str(socket.getaddrinfo(name, None, socket.AF_INET)[0][4][0])
    except OSError:
        return None


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as gone: `kill -0` is fooled by zombies)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _kill(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _descendants(pid: int) -> list[int]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class SlurmCluster:
    """munged + slurmctld + `nodes` slurmd + a login sshd, all under `base`, all stopped by pid."""

    def __init__(self, base: Path, *, nodes: int = NODE_COUNT, user: str = USER) -> None:
        self.base = base
        self.user = user
        self.node_names = [f"node{i:02d}" for i in range(1, nodes + 1)]
        self.conf = base / "etc" / "slurm.conf"
        self.hosts = base / "etc" / "hosts"
        self.hostname = socket.gethostname()
        self.short_host = self.hostname.split(".")[0]
        self.launcher: tuple[str, ...] = ()
        self.munge_dir = base / "munge"
        self.socket = self.munge_dir / "munge.socket"
        self.spool = base / "spool"
        self.logs = base / "log"
        self.ctld_port = 0
        self.node_ports: dict[str, int] = {}
        self.munged: subprocess.Popen[bytes] | None = None
        self.slurmctld: subprocess.Popen[bytes] | None = None
        self.slurmd: dict[str, subprocess.Popen[bytes]] = {}
        self.sshd: SshdServer | None = None
        self.run_id = f"clusterdeck-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.home = Path("/home") / user
        self.workdir = self.home / self.run_id
        self.timings: dict[str, float] = {}

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start everything and wait until every node is idle and sshd accepts."""
        began = time.monotonic()
        try:
            self.home = ensure_user(self.user)
            self.workdir = self.home / self.run_id
            self._layout()
            self.launcher = self._private_hosts()
            self._start_munged()
            self._write_conf()
            self.start_controller()
            for name in self.node_names:
                self._start_slurmd(name)
            self._wait(self._all_idle, "every node idle")
            self._start_sshd()
            self.as_user("mkdir", "-p", str(self.workdir))
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - began

    def stop(self) -> None:
        """Cancel every job, stop every daemon by pid, kill stray job steps, remove the files."""
        began = time.monotonic()
        if self.slurmctld is not None:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(
                    ["scancel", "--full", "--user", self.user],
                    env=self.env(),
                    capture_output=True,
                    timeout=10,
                )
        if self.sshd is not None:
            self.sshd.close()
            self.sshd = None
        for proc in list(self.slurmd.values()):
            self._stop_proc(proc)
        self.slurmd.clear()
        self.stop_controller()
        self._kill_stray_steps()
        if self.munged is not None:
            self._stop_proc(self.munged)
            self.munged = None
        with contextlib.suppress(OSError):
            shutil.rmtree(self.workdir)
        shutil.rmtree(self.base, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - began

    def start_controller(self) -> None:
        """(Re)start slurmctld on the same port and state, and wait until it answers."""
        assert self.slurmctld is None, "slurmctld already runs"
        self.slurmctld = self._spawn(
            [*self.launcher, "slurmctld", "-D", "-f", str(self.conf)], "slurmctld"
        )
        self._wait(self._controller_up, "slurmctld up", proc=self.slurmctld)

    def stop_controller(self) -> None:
        """Stop slurmctld (running jobs go on; the controller is simply gone)."""
        if self.slurmctld is not None:
            self._stop_proc(self.slurmctld)
            self.slurmctld = None

    # --- helpers for tests ---------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment for Slurm client commands."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def as_user(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command as the test user (with SLURM_CONF set)."""
        return subprocess.run(
            ["runuser", "-u", self.user, "--", "env", f"SLURM_CONF={self.conf}", *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
            cwd="/",
        )

    def sbatch(self, *args: str, workdir: Path | None = None) -> str:
        """Submit a job as the test user; returns its id."""
        where = workdir or self.workdir
        self.as_user("mkdir", "-p", str(where))
        out = self.as_user("sbatch", "--parsable", f"--chdir={where}", *args).stdout
        return out.strip().split(";")[0]

    def user_processes(self, pattern: str) -> list[int]:
        """Pids of the test user's live processes whose command line contains `pattern`."""
        uid = pwd.getpwnam(self.user).pw_uid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_uid != uid:
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if pattern in cmdline and _alive(int(entry.name)):
                    found.append(int(entry.name))
        return found

    def file_size(self, name: str) -> int:
        """Size in bytes of a file in the work directory."""
        return (self.workdir / name).stat().st_size

    def sbatch_as_root(self, *args: str) -> str:
        """Submit a job as root (someone else's job, for the test user)."""
        out = subprocess.run(
            ["sbatch", "--parsable", f"--chdir={self.base}", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        return out.strip().split(";")[0]

    def scancel_as_root(self, *job_ids: str) -> None:
        """Cancel jobs with root's rights."""
        subprocess.run(["scancel", *job_ids], env=self.env(), capture_output=True, timeout=30)

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job's `squeue --json` record (None when Slurm no longer knows it)."""
        out = subprocess.run(
            ["squeue", "--json"], env=self.env(), capture_output=True, text=True, timeout=30
        ).stdout
        jobs = json.loads(out).get("jobs", [])
        return next((j for j in jobs if str(j.get("job_id")) == job_id), None)

    def wait_state(self, job_id: str, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait (polling squeue) until the job is in one of `states`; returns its record."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.job(job_id)
            state = record.get("job_state") if record else None
            if isinstance(state, list):
                state = state[0] if state else None
            if record is not None and state in states:
                return record
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} is {state}, not {'/'.join(states)}")
            time.sleep(0.1)

    # --- internals -----------------------------------------------------------------------------

    def _layout(self) -> None:
        self.base.chmod(0o755)
        for sub in ("etc", "run", "log", "spool/ctld", "spool/d"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.munge_dir.mkdir(mode=0o755, exist_ok=True)
        key = self.munge_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        shutil.chown(key, "munge", "munge")
        shutil.chown(self.munge_dir, "munge", "munge")
        self.munge_dir.chmod(0o755)

    def _start_munged(self) -> None:
        m = self.munge_dir
        self.munged = self._spawn(
            [
                *self.launcher,  # munge credentials carry the address of the hostname, too
                "setpriv",
                "--reuid=munge",
                "--regid=munge",
                "--clear-groups",
                "munged",
                "--foreground",
                f"--socket={self.socket}",
                f"--key-file={m / 'munge.key'}",
                f"--pid-file={m / 'munged.pid'}",
                f"--log-file={m / 'munged.log'}",
                f"--seed-file={m / 'munged.seed'}",
            ],
            "munged",
        )
        self._wait(self._munge_ready, "munged ready", proc=self.munged)

    def _munge_ready(self) -> bool:
        probe = subprocess.run(["munge", "-n", "-S", str(self.socket)], capture_output=True)
        return probe.returncode == 0

    def _private_hosts(self) -> tuple[str, ...]:
        """The command prefix that runs a daemon with our /etc/hosts (see the module docstring);
        () when the hostname already resolves to 127.0.0.1 and namespaces are refused."""
        names = " ".join(dict.fromkeys([self.hostname, self.short_host]))
        self.hosts.write_text(f"127.0.0.1 localhost\n127.0.0.1 {names}\n")
        self.hosts.chmod(0o644)
        launcher = (
            "unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(self.hosts),
        )  # fmt: skip
        try:  # what Slurm will resolve: the kernel's hostname, as gethostname() returns it
            probe = subprocess.run(
                [*launcher, "getent", "ahostsv4", self.hostname],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if probe.returncode == 0 and probe.stdout.split()[:1] == ["127.0.0.1"]:
                return launcher
            why = probe.stderr.strip() or probe.stdout.strip() or f"exit {probe.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            why = str(exc)
        resolved = _resolve_v4(self.hostname)
        if resolved == "127.0.0.1":
            return ()
        raise RuntimeError(
            f"the Slurm test cluster needs {self.hostname!r} to mean 127.0.0.1 for its daemons "
            f"(Slurm binds to the address of the hostname): a private /etc/hosts failed ({why}) "
            f"and the machine resolves it to {resolved or 'nothing'}. Run as root where "
            f"`unshare --mount` is allowed, or map the hostname to 127.0.0.1 in /etc/hosts."
        )

    def _write_conf(self) -> None:
        host = self.short_host
        self.ctld_port = free_port()
        b = self.base
        lines = [
            "ClusterName=clusterdeck",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.socket}",
            f"StateSaveLocation={b}/spool/ctld",
            f"SlurmdSpoolDir={b}/spool/d/%n",
            f"SlurmctldPidFile={b}/run/slurmctld.pid",
            f"SlurmdPidFile={b}/run/slurmd-%n.pid",
            f"SlurmctldLogFile={b}/log/slurmctld.log",
            f"SlurmdLogFile={b}/log/slurmd-%n.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=batch_sched_delay=0",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SlurmdParameters=config_overrides",
            "ReturnToService=2",
            "SlurmdTimeout=60",
            "InactiveLimit=0",
            "KillWait=2",
            "MinJobAge=600",
            "MessageTimeout=2",
            "Waittime=0",
            "MailProg=/bin/true",
            "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny",  # bind 127.0.0.1 only
        ]
        for name in self.node_names:
            port = self.node_ports.setdefault(name, free_port())
            lines.append(
                f"NodeName={name} NodeHostname={host} NodeAddr=127.0.0.1 Port={port} "
                "CPUs=2 RealMemory=1000 State=UNKNOWN"
            )
        lines.append("PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP")
        self.conf.write_text("\n".join(lines) + "\n")
        self.conf.chmod(0o644)

    def _start_slurmd(self, name: str) -> None:
        (self.spool / "d" / name).mkdir(parents=True, exist_ok=True)
        self.slurmd[name] = self._spawn(
            [*self.launcher, "slurmd", "-D", "-N", name, "-f", str(self.conf)], f"slurmd-{name}"
        )

    def _start_sshd(self) -> None:
        server = SshdServer(self.base / "sshd", user=self.user, launcher=self.launcher)
        with server.config.open("a") as out:
            out.write(f"SetEnv SLURM_CONF={self.conf}\n")
        server.start()
        self.sshd = server

    def _spawn(self, args: list[str], label: str) -> subprocess.Popen[bytes]:
        out = (self.logs / f"{label}.stdout").open("ab")
        try:
            return subprocess.Popen(
                args,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            out.close()

    def _stop_proc(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def _controller_up(self) -> bool:
        ping = subprocess.run(["scontrol", "ping"], env=self.env(), capture_output=True, text=True)
        return "is UP" in ping.stdout

    def _all_idle(self) -> bool:
        out = subprocess.run(
            ["sinfo", "-h", "-N", "-t", "idle", "-o", "%N"],
            env=self.env(),
            capture_output=True,
            text=True,
        ).stdout
        return len(set(out.split())) >= len(self.node_names)

    def _wait(self, ready: Any, what: str, *, proc: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what}: the daemon exited ({proc.returncode})\n{self._tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}\n{self._tail()}")
            time.sleep(0.05)

    def _tail(self) -> str:
        parts = []
        for path in [*sorted(self.logs.glob("*")), self.munge_dir / "munged.log"]:
            with contextlib.suppress(OSError):
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)

    def _kill_stray_steps(self) -> None:
        """Kill slurmstepd processes listening under our spool dir, with their process trees."""
        inodes: set[str] = set()
        with contextlib.suppress(OSError):
            for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) >= 8 and fields[7].startswith(str(self.spool)):
                    inodes.add(fields[6])
        if not inodes:
            return
        wanted = {f"socket:[{inode}]" for inode in inodes}
        pids: list[int] = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if "slurmstepd" not in (entry / "cmdline").read_text(errors="replace"):
                    continue
                links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
                if links & wanted:
                    pids.append(int(entry.name))
        victims = [p for pid in pids for p in (pid, *_descendants(pid))]
        _kill(victims, signal.SIGKILL)
        _wait_gone(victims, 5)
