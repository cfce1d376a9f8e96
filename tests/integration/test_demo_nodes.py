"""Demo nodes are real SSH servers: OpenSSH and asyncssh clients log in, with verified host keys."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import require_binary
from tui.core.models import Job, Node
from tui.core.providers.demo.provider import DemoProvider

pytestmark = pytest.mark.sshd

WAIT = 30.0
"""Upper bound on every network wait."""


@pytest.fixture
def ssh_binary() -> str:
    """The OpenSSH client; in CI its absence is a failure, elsewhere a skip."""
    require_binary("ssh")
    found = shutil.which("ssh")
    assert found is not None
    return found


@pytest.fixture
async def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DemoProvider]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))  # never read the developer's ~/.ssh
    state = tmp_path / "state"
    provider = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await provider.start()
    yield provider
    await provider.close()


async def running(demo: DemoProvider) -> tuple[Job, list[Node]]:
    job = next(j for j in await demo.list_jobs() if j.name == "cfd-wing")
    return job, await demo.list_nodes(job)


async def dashboard_port(demo: DemoProvider, job: Job) -> int:
    stream = demo.stream_log(job)
    async with asyncio.timeout(WAIT):
        batch = await anext(stream)
    await stream.aclose()
    match = re.search(r"server listening on port (\d+)", "\n".join(batch.lines))
    assert match
    return int(match.group(1))


async def connect(demo: DemoProvider, node: Node) -> asyncssh.SSHClientConnection:
    """An asyncssh client that verifies the node against the demo's known_hosts."""
    target = demo.ssh_target(node)
    async with asyncio.timeout(WAIT):
        return await asyncssh.connect(
            target.host,
            target.port,
            username=target.user,
            client_keys=[str(target.key_path)],
            known_hosts=str(demo.known_hosts_path),
            config=[],
            agent_path=None,
        )


async def openssh(
    ssh: str, node: Node, *, key: Path, known_hosts: Path, command: str
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        ssh, "-i", str(key), "-p", str(node.port),
        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-F", "/dev/null", f"{node.user}@127.0.0.1", command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(WAIT):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def read_until(stream: asyncssh.SSHReader[str], pattern: str) -> str:
    seen = ""
    async with asyncio.timeout(WAIT):
        while not re.search(pattern, seen):
            chunk = await stream.read(4096)
            assert chunk, f"EOF before {pattern!r}; got {seen!r}"
            seen += chunk
    return seen


async def http_get(
    reader: asyncio.StreamReader | asyncssh.SSHReader[bytes],
    writer: asyncio.StreamWriter | asyncssh.SSHWriter[bytes],
) -> bytes:
    writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    async with asyncio.timeout(WAIT):
        return await reader.read(-1)


async def test_openssh_client_logs_in_and_runs_a_command(
    demo: DemoProvider, ssh_binary: str
) -> None:
    _, nodes = await running(demo)
    worker = nodes[2]
    code, out, err = await openssh(
        ssh_binary,
        worker,
        key=demo.key_path,
        known_hosts=demo.known_hosts_path,
        command="echo hello-$((6*7)); pwd",
    )
    assert code == 0, err
    assert out.splitlines() == ["hello-42", str(demo.root / "nodes" / "4207" / "worker-2")]


async def test_openssh_refuses_another_key_and_an_unknown_host(
    demo: DemoProvider, ssh_binary: str, tmp_path: Path
) -> None:
    _, nodes = await running(demo)
    stranger = tmp_path / "stranger"
    stranger.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    stranger.chmod(0o600)
    code, out, err = await openssh(
        ssh_binary, nodes[0], key=stranger, known_hosts=demo.known_hosts_path, command="true"
    )
    assert code == 255 and "Permission denied" in err and out == ""

    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    code, out, err = await openssh(
        ssh_binary, nodes[0], key=demo.key_path, known_hosts=empty, command="echo reached"
    )
    assert code == 255 and "Host key verification failed" in err and "reached" not in out


async def test_pty_shell_follows_window_changes(demo: DemoProvider) -> None:
    _, nodes = await running(demo)
    async with await connect(demo, nodes[0]) as conn:
        proc = await conn.create_process(term_type="xterm", term_size=(100, 30))
        proc.stdin.write("stty size\n")
        await read_until(proc.stdout, r"\b30 100\b")
        proc.change_terminal_size(120, 40)
        proc.stdin.write("stty size\n")
        await read_until(proc.stdout, r"\b40 120\b")
        proc.stdin.write("exit 5\n")
        async with asyncio.timeout(WAIT):
            result = await proc.wait()
        assert result.exit_status == 5

        # The shell is gone; the node still serves new sessions, on this and new connections.
        again = await conn.run("echo still-here", check=True)
        assert again.stdout == "still-here\n"
    async with await connect(demo, nodes[0]) as conn:
        assert (await conn.run("echo new-connection")).stdout == "new-connection\n"


async def test_exec_returns_the_exit_status(demo: DemoProvider) -> None:
    _, nodes = await running(demo)
    async with await connect(demo, nodes[1]) as conn:
        async with asyncio.timeout(WAIT):
            assert (await conn.run("exit 3")).exit_status == 3
            with_pty = await conn.run(": </dev/tty && echo has-ctty; exit 4", term_type="xterm")
            plain = await conn.run("echo out; echo err >&2", term_type=None)
        assert with_pty.exit_status == 4 and "has-ctty" in str(with_pty.stdout)
        assert (plain.stdout, plain.stderr, plain.exit_status) == ("out\n", "err\n", 0)


async def test_sftp_writes_and_reads_in_the_node_directory(demo: DemoProvider) -> None:
    _, nodes = await running(demo)
    async with await connect(demo, nodes[0]) as conn, conn.start_sftp_client() as sftp:
        async with asyncio.timeout(WAIT):
            async with sftp.open("notes.txt", "w") as handle:
                await handle.write("clipboard via sftp\n")
            async with sftp.open("notes.txt") as handle:
                assert await handle.read() == "clipboard via sftp\n"
            assert await sftp.realpath(".") == str(demo.root / "nodes" / "4207" / "master-0")
    on_disk = demo.root / "nodes" / "4207" / "master-0" / "notes.txt"
    assert on_disk.read_text() == "clipboard via sftp\n"


async def test_forwarding_reaches_loopback_only(demo: DemoProvider) -> None:
    job, nodes = await running(demo)
    port = await dashboard_port(demo, job)
    async with await connect(demo, nodes[0]) as conn:
        async with asyncio.timeout(WAIT):
            listener = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", port)
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.get_port())
        page = await http_get(reader, writer)
        writer.close()
        listener.close()
        assert page.startswith(b"HTTP/1.0 200 OK")
        assert b"clusterdeck demo solver dashboard" in page

        async with asyncio.timeout(WAIT):
            ssh_reader, ssh_writer = await conn.open_connection("localhost", port, encoding=None)
        assert b"clusterdeck demo solver dashboard" in await http_get(ssh_reader, ssh_writer)

        with pytest.raises(asyncssh.ChannelOpenError, match="loopback only"):
            async with asyncio.timeout(WAIT):
                await conn.open_connection("example.invalid", 80)


async def test_close_ends_live_shells(demo: DemoProvider) -> None:
    _, nodes = await running(demo)
    conn = await connect(demo, nodes[3])
    proc = await conn.create_process(term_type="xterm", term_size=(80, 24))
    proc.stdin.write("echo shell-pid-$$\n")
    seen = await read_until(proc.stdout, r"shell-pid-\d+\r?\n")
    match = re.search(r"shell-pid-(\d+)", seen)
    assert match
    pid = int(match.group(1))
    os.kill(pid, 0)  # alive while the demo runs
    await demo.close()
    async with asyncio.timeout(WAIT):
        await conn.wait_closed()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # hung up and reaped, not left behind


def state_modes(state: Path) -> dict[str, int]:
    """`relative path -> permission bits` of everything under `state` (folders end with /)."""
    modes = {"./": state.stat().st_mode & 0o777}
    for folder, dirs, files in os.walk(state):
        for name in dirs:
            path = Path(folder, name)
            modes[f"{path.relative_to(state)}/"] = path.stat().st_mode & 0o777
        for name in files:
            path = Path(folder, name)
            modes[str(path.relative_to(state))] = path.lstat().st_mode & 0o777
    return modes


async def start_and_list(state: Path) -> tuple[Job, list[Node]]:
    provider = DemoProvider(state_dir=state, known_hosts_path=state / "known_hosts")
    await provider.start()
    try:
        return await running(provider)
    finally:
        await provider.close()


@pytest.mark.parametrize("umask", [0o022, 0o002])
async def test_the_state_dir_tree_is_private_after_a_demo_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    """Every folder in the state dir is 0700 and every file 0600, also after an old layout."""
    from tui.core.config.settings import ensure_state_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    state = tmp_path / "state" / "clusterdeck"  # its parent is missing too
    old = os.umask(umask)
    try:
        ensure_state_dir(state)
        job, nodes = await start_and_list(state)
        assert len(nodes) > 1 and (state / "demo" / "nodes" / job.id / nodes[0].name).is_dir()
        first = state_modes(state)
        assert {"known_hosts", "demo/id_ed25519", "demo/id_ed25519.pub"} <= set(first)
        # What earlier versions left: 0755 folders below demo/ and a 0644 public key.
        for path in (state / "demo" / "nodes" / job.id, state / "demo" / "nodes"):
            path.chmod(0o755)
        (state / "demo" / "id_ed25519.pub").chmod(0o644)
        await start_and_list(state)
        again = state_modes(state)
    finally:
        os.umask(old)
    for modes in (first, again):
        lax = {k: oct(v) for k, v in modes.items() if v != (0o700 if k.endswith("/") else 0o600)}
        assert lax == {}, "state entries that are not private"
