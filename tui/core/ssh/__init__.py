"""The SSH layer: pooled connections, host key checks, OpenSSH-like auth, PTY shell sessions.

Core code: asyncssh and the standard library only (never textual or widgets).
"""

from __future__ import annotations

from tui.core.ssh.auth import PassphraseCallback
from tui.core.ssh.pool import SshPool
from tui.core.ssh.shell import SessionExit, SshShellBackend
from tui.core.ssh.trust import HostKeyAlert, HostKeyCallback, TrustChoice, TrustRequest

__all__ = [
    "HostKeyAlert",
    "HostKeyCallback",
    "PassphraseCallback",
    "SessionExit",
    "SshPool",
    "SshShellBackend",
    "TrustChoice",
    "TrustRequest",
]
