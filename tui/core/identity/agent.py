"""Keys held by the SSH agent (`SSH_AUTH_SOCK`): listed with type, size and fingerprint."""

from __future__ import annotations

import os

import asyncssh

from tui.core.identity.errors import IdentityError
from tui.core.identity.keyinfo import PublicKeyInfo, parse_public_blob


def agent_socket() -> str | None:
    """The agent socket from `SSH_AUTH_SOCK`, or None when no agent is announced."""
    return os.environ.get("SSH_AUTH_SOCK") or None


async def list_agent_keys(socket: str | None = None) -> list[PublicKeyInfo]:
    """The agent's keys, in the agent's order (certificates are listed by their key).

    Args:
        socket: The agent socket; None means `SSH_AUTH_SOCK`. With no agent, returns [].

    Raises:
        IdentityError: when the agent is announced but cannot be asked.
    """
    path = socket or agent_socket()
    if path is None:
        return []
    agent = asyncssh.SSHAgentClient(path)
    try:
        pairs = await agent.get_keys()
    except (OSError, ValueError, asyncssh.Error) as exc:
        raise IdentityError(
            f"the SSH agent at {path} cannot be reached ({exc}); is it still running?",
            title="SSH agent unavailable",
        ) from None
    finally:
        agent.close()
        await agent.wait_closed()
    keys: list[PublicKeyInfo] = []
    for pair in pairs:
        try:
            keys.append(parse_public_blob(pair.key_public_data, pair.get_comment() or ""))
        except IdentityError:
            continue  # a key type we cannot describe: the agent may still use it
    return keys
