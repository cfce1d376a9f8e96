"""Check `~/.ssh` the way OpenSSH does and plan the `chmod`s that fix it; apply only on confirm."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tui.core.identity.keyfiles import list_key_files, ssh_dir, tildify

_NOT_WRITABLE_BY_OTHERS = ("config", "authorized_keys", "authorized_keys2")


@dataclass(frozen=True)
class PermissionChange:
    """One planned `chmod`."""

    path: Path
    current: int
    wanted: int
    reason: str

    def describe(self) -> str:
        """`chmod 600 ~/.ssh/id_rsa  (now 644: readable by others)`."""
        return f"chmod {self.wanted:o} {tildify(self.path)}  (now {self.current:o}: {self.reason})"


def _who(mode: int, *, write_only: bool = False) -> str:
    parts = []
    if mode & (0o020 if write_only else 0o070):
        parts.append("group")
    if mode & (0o002 if write_only else 0o007):
        parts.append("others")
    verb = "writable" if write_only else "open"
    return f"{verb} to {' and '.join(parts)}"


def plan_permission_fixes(directory: Path | None = None) -> list[PermissionChange]:
    """What to change so OpenSSH accepts `directory` (default `~/.ssh`) and its keys.

    `~/.ssh` becomes 0700, private keys 0600 (0400 is left alone), and `config` and
    `authorized_keys` lose group/other write. Symbolic links are never followed.

    Raises:
        IdentityError: when the directory cannot be read.
    """
    listing = list_key_files(directory or ssh_dir())
    changes: list[PermissionChange] = []
    if listing.mode is not None and listing.mode & 0o077:
        changes.append(PermissionChange(listing.directory, listing.mode, 0o700, _who(listing.mode)))
    for key in listing.keys:
        if key.path.is_symlink() or not key.mode & 0o077:
            continue
        changes.append(PermissionChange(key.path, key.mode, 0o600, _who(key.mode)))
    for name in _NOT_WRITABLE_BY_OTHERS:
        path = listing.directory / name
        try:
            info = path.lstat()
        except OSError:
            continue
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISREG(info.st_mode) and mode & 0o022:
            wanted = mode & ~0o022
            changes.append(PermissionChange(path, mode, wanted, _who(mode, write_only=True)))
    return changes


def apply_permission_fixes(changes: list[PermissionChange]) -> list[str]:
    """Apply confirmed changes; returns a message for each one that could not be applied.

    A file whose mode changed since the plan was made is left alone (the plan is stale).
    """
    problems: list[str] = []
    for change in changes:
        try:
            info = change.path.lstat()
            if stat.S_ISLNK(info.st_mode):
                problems.append(f"{tildify(change.path)} is now a symbolic link; not changed")
                continue
            if stat.S_IMODE(info.st_mode) != change.current:
                problems.append(f"{tildify(change.path)} changed meanwhile; check again")
                continue
            os.chmod(change.path, change.wanted)  # not a link: checked just above
        except OSError as exc:
            problems.append(f"cannot chmod {tildify(change.path)}: {exc.strerror or exc}")
    return problems
