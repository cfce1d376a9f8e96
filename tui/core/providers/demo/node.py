"""One demo node: a real asyncssh server on 127.0.0.1 with its own persistent host key.

It serves a PTY shell (the user's shell), commands, SFTP and direct-tcpip forwarding to loopback
only, and lets in exactly one client key (the app's generated demo key) for one user. Also here:
the small key and known_hosts file helpers the demo provider needs.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
from pathlib import Path

import asyncssh

from tui.core.errors import ProviderError, StateDirError
from tui.core.files import write_private_file
from tui.core.providers.demo.pty import Children, run_session

KNOWN_HOSTS_TAG = "clusterdeck-demo"
"""Trailing comment that marks the known_hosts lines the demo owns (and may rewrite)."""

_LOOPBACK = {"127.0.0.1": "127.0.0.1", "::1": "::1", "localhost": "127.0.0.1"}
_CLOSE_TIMEOUT = 5.0


def load_or_create_key(path: Path, *, comment: str, with_public: bool = False) -> asyncssh.SSHKey:
    """The ed25519 key at `path`, generated (mode 0600) on first use and reused afterwards.

    With `with_public`, an OpenSSH `path.pub` is kept beside it.
    """
    key: asyncssh.SSHKey | None = None
    try:
        key = asyncssh.read_private_key(path)
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # OpenSSH refuses private keys others can read
    except FileNotFoundError:
        pass
    except (asyncssh.KeyImportError, ValueError):
        key = None  # unreadable demo key: replace it, it guards nothing but the demo
    except OSError as exc:
        raise StateDirError(f"cannot read {path} in {path.parent}: {exc.strerror}") from exc
    fresh = key is None
    if key is None:
        key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
        write_private_file(path, key.export_private_key())
    pub = path.with_name(path.name + ".pub")
    if with_public and (fresh or not pub.exists() or pub.stat().st_mode & 0o077):
        write_private_file(pub, key.export_public_key())  # 0600: the state dir stays private
    return key


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port` (another clusterdeck's demo node, say)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def record_host_keys(known_hosts: Path, entries: list[tuple[int, asyncssh.SSHKey]]) -> None:
    """Trust each key for its `[127.0.0.1]:port`, dropping stale demo lines for that key or port.

    A line for the same key on another port is stale only when nothing listens there any more:
    several clusterdeck processes (`clusterdeck serve` sessions, say) may run the demo at once.
    Lines not tagged with `KNOWN_HOSTS_TAG` are never touched. A lock file serialises writers.
    """
    fresh: list[str] = []
    hosts: set[str] = set()
    blobs: set[str] = set()
    for port, key in entries:
        algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
        hosts.add(f"[127.0.0.1]:{port}")
        blobs.add(blob)
        fresh.append(f"[127.0.0.1]:{port} {algorithm} {blob} {KNOWN_HOSTS_TAG}")

    def stale(line: str) -> bool:
        fields = line.split()
        if len(fields) < 4 or fields[-1] != KNOWN_HOSTS_TAG:
            return False
        if fields[0] in hosts:
            return True
        port = fields[0].rpartition(":")[2]
        return fields[2] in blobs and not (port.isdigit() and _listening(int(port)))

    lock_path = known_hosts.with_name(known_hosts.name + ".lock")
    try:
        lock = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateDirError(f"cannot create {lock_path}: {exc.strerror}") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            old = known_hosts.read_text(encoding="utf-8")
            mode = known_hosts.stat().st_mode & 0o600  # never readable by others
        except FileNotFoundError:
            old, mode = "", 0o600
        except OSError as exc:
            raise StateDirError(f"cannot read {known_hosts}: {exc.strerror}") from exc
        kept = [line for line in old.splitlines() if not stale(line)]
        write_private_file(known_hosts, "\n".join([*kept, *fresh, ""]).encode(), mode)
    finally:
        os.close(lock)  # releases the lock


class _NodeSFTPServer(asyncssh.SFTPServer):
    """SFTP where relative paths start in the node's working directory, as a home would."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], workdir: Path) -> None:
        super().__init__(chan)
        self._workdir = os.fsencode(workdir)

    def map_path(self, path: bytes) -> bytes:
        return path if path.startswith(b"/") else os.path.join(self._workdir, path)


class _NodeServer(asyncssh.SSHServer):
    """Authentication and port-forwarding policy of one node."""

    def __init__(self, node: DemoNode) -> None:
        self._node = node
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._node.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._node.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self._node.user and key.public_data == self._node.client_key_data

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> asyncssh.SSHTCPSession[bytes] | bool:
        target = _LOOPBACK.get(dest_host.lower())
        if target is None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                f"demo nodes forward to loopback only, not to {dest_host}",
            )
        if target == dest_host:
            return True
        assert self._conn is not None
        return self._conn.forward_connection(target, dest_port)  # type: ignore[return-value]


class DemoNode:
    """One node's SSH server. `port` is 0 until `start()` returns."""

    def __init__(
        self,
        *,
        job_id: str,
        name: str,
        workdir: Path,
        host_key: asyncssh.SSHKey,
        client_key: asyncssh.SSHKey,
        user: str,
        shell: str,
        tmux_dir: Path | None = None,
    ) -> None:
        self.job_id = job_id
        self.tmux_dir = tmux_dir
        """`TMUX_TMPDIR` of the node's sessions (persistent shells), when set."""
        self.name = name
        self.workdir = workdir
        self.host_key = host_key
        self.client_key_data = client_key.public_data
        self.user = user
        self.shell = shell
        self.port = 0
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._children = Children()
        self._sessions: set[asyncio.Task[None]] = set()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._closed = False

    async def start(self) -> int:
        """Listen on 127.0.0.1 (port 0) and return the port the kernel chose."""
        if self._closed:
            raise ProviderError(f"demo node {self.name} of job {self.job_id} was shut down")
        try:
            self._acceptor = await asyncssh.listen(
                host="127.0.0.1",
                port=0,
                family=socket.AF_INET,
                server_factory=lambda: _NodeServer(self),
                server_host_keys=[self.host_key],
                process_factory=self._serve,
                sftp_factory=lambda chan: _NodeSFTPServer(chan, self.workdir),
                allow_scp=True,
                encoding=None,
                line_editor=False,
                agent_forwarding=False,
                x11_forwarding=False,
            )
        except OSError as exc:
            raise ProviderError(
                f"demo node {self.name} could not listen on 127.0.0.1: {exc.strerror or exc}"
            ) from exc
        self.port = self._acceptor.get_port()
        return self.port

    async def _serve(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await run_session(
                process,
                shell=self.shell,
                cwd=self.workdir,
                env={
                    "CLUSTERDECK_DEMO_NODE": f"{self.job_id}/{self.name}",
                    # the demo's tmux sessions live on a server of their own, not the user's
                    **({"TMUX_TMPDIR": str(self.tmux_dir)} if self.tmux_dir else {}),
                },
                children=self._children,
            )
        finally:
            self._sessions.discard(task)

    async def close(self) -> None:
        """Stop listening, end every shell and connection. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._acceptor is not None:
            self._acceptor.close()
        await self._children.stop_all()
        conns = list(self.connections)
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.wait(
                [asyncio.ensure_future(c.wait_closed()) for c in conns], timeout=_CLOSE_TIMEOUT
            )
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._acceptor is not None:
            await self._acceptor.wait_closed()
        self.port = 0
