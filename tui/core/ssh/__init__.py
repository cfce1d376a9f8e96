"""The SSH layer: pooled connections, host key checks, OpenSSH-like auth, PTY shell sessions.

Everything else reaches SSH through `SshPool` and the `SshSession` it returns (commands,
streaming processes, SFTP files, port forwards); asyncssh types and exceptions stay in here and
errors come out as the `tui.core.errors.SshError` tree.

Core code: asyncssh and the standard library only (never textual or widgets).
"""

from __future__ import annotations

from tui.core.ssh.auth import PassphraseCallback
from tui.core.ssh.files import RemoteEntry, RemoteFiles, RemoteStat
from tui.core.ssh.forwarding import (
    ChannelReceiver,
    ForwardChannel,
    GateWaiter,
    LocalForward,
    WriteGate,
)
from tui.core.ssh.pool import SshPool
from tui.core.ssh.process import ProcessEnd, RemoteProcess
from tui.core.ssh.session import RunResult, SshSession
from tui.core.ssh.shell import SessionExit, SshShellBackend
from tui.core.ssh.trust import HostKeyAlert, HostKeyCallback, TrustChoice, TrustRequest

__all__ = [
    "ChannelReceiver",
    "ForwardChannel",
    "GateWaiter",
    "HostKeyAlert",
    "HostKeyCallback",
    "LocalForward",
    "PassphraseCallback",
    "ProcessEnd",
    "RemoteEntry",
    "RemoteFiles",
    "RemoteProcess",
    "RemoteStat",
    "RunResult",
    "SessionExit",
    "SshPool",
    "SshSession",
    "SshShellBackend",
    "TrustChoice",
    "TrustRequest",
    "WriteGate",
]
