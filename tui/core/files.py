"""Writing small private files (keys, known_hosts, saved tunnels) and private folders safely."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from tui.core.errors import StateDirError


def write_private_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically with `mode`, whatever the umask."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        make_private_dir(path.parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StateDirError(
            f"cannot write {path.name} in {path.parent}: {exc.strerror or exc}; "
            "make the directory writable or choose another state directory"
        ) from exc


def make_private_dir(path: Path, *, tighten_below: Path | None = None) -> None:
    """Create `path` and each missing parent as 0700, whatever the umask.

    (`Path.mkdir(parents=True, mode=...)` gives the parents the default mode: 0755.) Folders
    that exist keep their mode, except `path` and its parents at or below `tighten_below`
    (clusterdeck's own tree, such as the demo's), which lose any group and other access.

    Raises:
        OSError: a folder cannot be created or changed.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by someone else meanwhile: not ours to change
        os.chmod(folder, 0o700)
    if tighten_below is None:
        return
    for folder in (path, *path.parents):
        if folder != tighten_below and tighten_below not in folder.parents:
            break
        info = folder.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            os.chmod(folder, info.st_mode & 0o700)
