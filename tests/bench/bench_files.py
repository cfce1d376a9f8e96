"""File transfers: clusterdeck's engine against OpenSSH `sftp` and `scp`, same sshd, same run.

Run: `.venv/bin/python tests/bench/bench_files.py [--mib 1024] [--small 10000] [--reps 3]` as
root (it starts a private OpenSSH sshd on loopback, as the integration tests do).

- one big file down and up: ours (TransferRun: pipelined SFTP, the pool's aes128-gcm, then the
  size and SHA-256 checked on both sides) against `sftp -b` get/put and `scp` with OpenSSH's
  default cipher;
- a folder of small files (1-8 KB each) down and up against `scp -r`;
- ours with `--verify size` too, to show what the SHA-256 check costs.
Trials are interleaved; ratios are medians of per-repetition ratios (> 1: we are faster).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench._table import Row, publish  # noqa: E402
from tests.integration.sshd import SshdServer  # noqa: E402
from tui.core.ssh.pool import SshPool  # noqa: E402
from tui.core.transfers import (  # noqa: E402
    Conflict,
    Direction,
    Progress,
    TransferRun,
    TransferSpec,
    Verify,
)

MIB = 1 << 20


class Bench:
    def __init__(self, sshd: SshdServer, base: Path) -> None:
        self.sshd = sshd
        self.base = base
        self.known_hosts = sshd.write_known_hosts(base / "known_hosts")
        self.remote = sshd.shared_dir()
        self.local = base / "local"
        self.local.mkdir()

    def ssh_options(self) -> list[str]:
        return [
            "-F", "/dev/null", "-i", str(self.sshd.client_key),
            "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
        ]  # fmt: skip

    def sftp(self, command: str) -> None:
        subprocess.run(
            ["sftp", "-q", *self.ssh_options(), "-P", str(self.sshd.port), "-b", "-",
             f"{self.sshd.user}@127.0.0.1"],
            input=command.encode(), check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def scp(self, source: str, dest: str, *, recurse: bool = False) -> None:
        flags = ["-r"] if recurse else []
        subprocess.run(
            ["scp", "-q", *flags, *self.ssh_options(), "-P", str(self.sshd.port), source, dest],
            check=True,
        )

    def remote_spec(self, path: Path) -> str:
        return f"{self.sshd.user}@127.0.0.1:{path}"

    def ours(self, direction: Direction, remote: Path, local: Path, verify: Verify) -> None:
        async def run() -> None:
            pool = SshPool(
                known_hosts_paths=[self.known_hosts], ssh_config_paths=[], use_agent=False
            )
            try:
                spec = TransferSpec(direction, self.sshd.target(), str(remote), local)
                await TransferRun(
                    pool, spec, progress=Progress(), conflict=Conflict.OVERWRITE, verify=verify
                ).run()
            finally:
                await pool.close()

        asyncio.run(run())


def clean(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def chown_tree(path: Path, user: str) -> None:
    subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True)


def timed(action: Callable[[], None], before: Callable[[], None]) -> float:
    before()
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="MiB of the big file")
    parser.add_argument("--small", type=int, default=10_000, help="small files in the folder")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--keys", type=int, default=200, help="keys typed for the echo figure")
    parser.add_argument("--no-publish", action="store_true", help="print only")
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("sftp") is None:
        print("needs root and OpenSSH (client and server)", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="bench-files-"))
    os.environ["HOME"] = str(base)
    sshd = SshdServer(base / "sshd")
    sshd.start()
    try:
        bench = Bench(sshd, base)
        results = run_all(bench, args)
    finally:
        sshd.close()
        shutil.rmtree(base, ignore_errors=True)
    report(results, args)
    return 0


Trials = dict[str, dict[str, list[float]]]


def run_all(bench: Bench, args: argparse.Namespace) -> Trials:
    big_remote = bench.remote / "big.bin"
    big_local = bench.local / "big.bin"
    with big_remote.open("wb") as out:
        for _ in range(args.mib):
            out.write(os.urandom(MIB))
    shutil.copyfile(big_remote, bench.base / "big-source.bin")
    up_source = bench.base / "big-source.bin"
    up_dest = bench.remote / "big-up.bin"
    folder = bench.remote / "small"
    folder.mkdir()
    for index in range(args.small):
        sub = folder / f"d{index % 50:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{index:05d}.dat").write_bytes(os.urandom(1024 + (index * 131) % 7168))
    chown_tree(bench.remote, bench.sshd.user)
    small_local = bench.local / "small"
    small_up_source = bench.base / "small-source"
    shutil.copytree(folder, small_up_source)
    small_up_dest = bench.remote / "small-up"
    r = bench.remote_spec

    def reset_remote(path: Path) -> Callable[[], None]:
        return lambda: clean(path)

    trials: dict[str, dict[str, tuple[Callable[[], None], Callable[[], None]]]] = {
        "big down": {
            "ours": (lambda: bench.ours(Direction.DOWN, big_remote, big_local, Verify.SHA256),
                     lambda: clean(big_local)),
            "ours, size only": (lambda: bench.ours(Direction.DOWN, big_remote, big_local,
                                                   Verify.SIZE), lambda: clean(big_local)),
            "sftp": (lambda: bench.sftp(f'get "{big_remote}" "{big_local}"'),
                     lambda: clean(big_local)),
            "scp": (lambda: bench.scp(r(big_remote), str(big_local)), lambda: clean(big_local)),
        },
        "big up": {
            "ours": (lambda: bench.ours(Direction.UP, up_dest, up_source, Verify.SHA256),
                     reset_remote(up_dest)),
            "ours, size only": (lambda: bench.ours(Direction.UP, up_dest, up_source, Verify.SIZE),
                                reset_remote(up_dest)),
            "sftp": (lambda: bench.sftp(f'put "{up_source}" "{up_dest}"'), reset_remote(up_dest)),
            "scp": (lambda: bench.scp(str(up_source), r(up_dest)), reset_remote(up_dest)),
        },
        "small down": {
            "ours": (lambda: bench.ours(Direction.DOWN, folder, bench.local, Verify.SHA256),
                     lambda: clean(small_local)),
            "scp": (lambda: bench.scp(r(folder), str(bench.local), recurse=True),
                    lambda: clean(small_local)),
        },
        "small up": {
            "ours": (lambda: bench.ours(Direction.UP, small_up_dest, small_up_source,
                                        Verify.SHA256), reset_remote(small_up_dest)),
            "scp": (lambda: bench.scp(str(small_up_source), r(small_up_dest), recurse=True),
                    reset_remote(small_up_dest)),
        },
    }  # fmt: skip
    results: Trials = {}
    for rep in range(args.reps):
        for test, configs in trials.items():
            for config, (action, before) in configs.items():
                seconds = timed(action, before)
                results.setdefault(test, {}).setdefault(config, []).append(seconds)
                print(f"rep {rep + 1} {test} {config}: {seconds:.2f} s", flush=True)
    from tests.bench._files_echo import echo_during_download

    p50, p95, rate = asyncio.run(
        echo_during_download(bench.sshd, bench.known_hosts, big_remote, big_local, args.keys)
    )
    print(f"echo during a download: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {rate:.0f} MB/s")
    results["echo"] = {"p50": [p50], "p95": [p95], "rate": [rate]}
    return results


def ratio(results: Trials, test: str, ours: str, anchor: str) -> float:
    mine, theirs = results[test][ours], results[test][anchor]
    return statistics.median(t / o for o, t in zip(mine, theirs, strict=True))


def report(results: Trials, args: argparse.Namespace) -> None:
    size_mb = args.mib * MIB / 1e6
    big = f"{args.mib / 1024:g} GiB" if args.mib >= 1024 else f"{args.mib} MiB"
    rows = []
    for test, label in (("big down", f"{big} down"), ("big up", f"{big} up")):
        for ours, suffix in (("ours", ""), ("ours, size only", " (size check only)")):
            mine = size_mb / statistics.median(results[test][ours])
            for anchor in ("sftp", "scp"):
                theirs = size_mb / statistics.median(results[test][anchor])
                rows.append(
                    Row(f"{label}{suffix}, MB/s", mine, theirs, f"OpenSSH `{anchor}`", "MB/s",
                        goal=1.0 if not suffix else None)
                )  # fmt: skip
    for test, label in (("small down", "down"), ("small up", "up")):
        rows.append(
            Row(f"{args.small:,} small files {label}, s", statistics.median(results[test]["ours"]),
                statistics.median(results[test]["scp"]), "OpenSSH `scp -r`", "s",
                higher_is_better=False, goal=1.0)
        )  # fmt: skip
    echo = results["echo"]
    rows.append(
        Row(
            "echo p95 in a shell tab during a download, ms",
            echo["p95"][0],
            None,
            "",
            "ms",
            higher_is_better=False,
            goal_text="p95 <= 50 ms",
            met=echo["p95"][0] <= 50,
        )
    )
    note = (
        "Same sshd on loopback, files in the page cache, interleaved trials, medians of "
        f"{args.reps}. clusterdeck negotiates aes128-gcm; OpenSSH uses its default "
        "(chacha20-poly1305). Ours includes the checks: the size, and the SHA-256 of both "
        "sides (ours while the bytes flow, the remote's with `openssl dgst`/`sha256sum` once "
        'the file is complete); the "size check only" rows leave the SHA-256 out. Echo: '
        f"{args.keys} keys typed into `cat` in a shell tab of the same app while the big file "
        f"is downloaded over and over (p50 {echo['p50'][0]:.1f} ms; the downloads ran at "
        f"{echo['rate'][0]:.0f} MB/s meanwhile)."
    )
    if args.no_publish:
        from tests.bench._table import render

        print(render(rows))
        print(note)
        return
    publish("bench_files", "File transfers", rows, note=note)


if __name__ == "__main__":
    raise SystemExit(main())
