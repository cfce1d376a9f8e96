"""SSH identity: key files and the agent, fingerprints and randomart, PuTTY keys, access rules.

Core code (no textual): the keys screen and the host key dialog are built on it.
"""

from __future__ import annotations

from tui.core.identity.agent import agent_socket, list_agent_keys
from tui.core.identity.cidr import GuardVerdict, PublicAddressGuard, parse_cidr, parse_rule
from tui.core.identity.errors import (
    CidrError,
    IdentityError,
    KeyExists,
    KeyFormatError,
    PassphraseRequired,
    PublicAddressError,
    UnsupportedKeyType,
    WrongPassphrase,
)
from tui.core.identity.generate import KEY_CHOICES, KeyRequest, generate_key, write_private_key
from tui.core.identity.keyfiles import KeyFile, KeyListing, list_key_files, load_private_key
from tui.core.identity.keyinfo import PublicKeyInfo, parse_public_blob, parse_public_line
from tui.core.identity.permissions import (
    PermissionChange,
    apply_permission_fixes,
    plan_permission_fixes,
)
from tui.core.identity.ppk import export_ppk, import_ppk

__all__ = [
    "KEY_CHOICES",
    "CidrError",
    "GuardVerdict",
    "IdentityError",
    "KeyExists",
    "KeyFile",
    "KeyFormatError",
    "KeyListing",
    "KeyRequest",
    "PassphraseRequired",
    "PermissionChange",
    "PublicAddressError",
    "PublicAddressGuard",
    "PublicKeyInfo",
    "UnsupportedKeyType",
    "WrongPassphrase",
    "agent_socket",
    "apply_permission_fixes",
    "export_ppk",
    "generate_key",
    "import_ppk",
    "list_agent_keys",
    "list_key_files",
    "load_private_key",
    "parse_cidr",
    "parse_public_blob",
    "parse_public_line",
    "parse_rule",
    "plan_permission_fixes",
    "write_private_key",
]
