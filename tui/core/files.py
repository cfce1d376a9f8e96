"""Writing small private files (keys, known_hosts, saved tunnels) safely."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from tui.core.errors import StateDirError


def write_private_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically with `mode`, whatever the umask."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
