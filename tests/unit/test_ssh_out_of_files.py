"""Running out of file descriptors is called that, not a wrong cause such as an unknown user.

Each case runs in a subprocess with a low RLIMIT_NOFILE and every descriptor taken, with no
LOGNAME/USER in the environment: then asyncssh's `getpass.getuser()` cannot open /etc/passwd
and says "Unknown local username", which used to be shown as the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core.ssh.diagnose import TOO_MANY_FILES

SCRIPT = """
import asyncio, os, resource, sys
from pathlib import Path
from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool

async def main() -> None:
    pool = SshPool(known_hosts_paths=[Path(sys.argv[1])], use_agent=False, ssh_config_paths=[])
    if sys.argv[2] == "warm":
        await asyncio.to_thread(print, end="")  # the worker thread's imports are done
    held = []
    try:
        while True:
            held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    try:
        await pool.connect(SshTarget("127.0.0.1", 1, None))
    except Exception as exc:
        causes, cause = [], exc.__cause__
        while cause is not None:
            causes.append(str(cause))
            cause = cause.__cause__ or cause.__context__
        message = getattr(exc, "message", str(exc))
    for fd in held:
        os.close(fd)
    print(message)
    print(" | ".join(causes))
    await pool.close()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
asyncio.run(main())
"""


@pytest.mark.parametrize("threads", ["cold", "warm"])
def test_no_descriptors_left_says_too_many_open_files(tmp_path: Path, threads: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"LOGNAME", "USER", "LNAME", "USERNAME"}}
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "known_hosts"), threads],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    message, causes = done.stdout.splitlines()[-2:]
    assert message == f"cannot connect to 127.0.0.1:1: {TOO_MANY_FILES}"
    if threads == "warm":  # asyncssh's own disguise of it is what was translated
        assert "Unknown local username" in causes
