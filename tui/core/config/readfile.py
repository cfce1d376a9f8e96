"""Reading the config file with bounds: a regular file of at most `MAX_CONFIG_BYTES`.

`--config /dev/zero` (or a FIFO, a directory, a huge file) would otherwise hang start-up or
`config check` while reading for ever. The file is opened without blocking (a FIFO with no
writer opens at once), checked with `fstat` on the open descriptor (so a symlink swap cannot
slip past), and read with a bounded read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui.core.errors import ConfigError

MAX_CONFIG_BYTES = 1024 * 1024
"""A config file is a few kilobytes; anything above this is refused."""


def read_config_text(path: Path, *, limit: int = MAX_CONFIG_BYTES) -> str:
    """The text of the config file at `path` (UTF-8).

    Raises:
        FileNotFoundError: There is no file at `path` (callers word their own hint).
        UnicodeDecodeError: The file is not UTF-8.
        OSError: It cannot be opened or read.
        ConfigError: It is not a regular file, or it is larger than `limit` bytes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                f"is {_kind(info.st_mode)}, not a regular file; point --config (or "
                "CLUSTERDECK_CONFIG) at a TOML file",
                path=str(path),
            )
        data = _read_at_most(fd, limit + 1) if info.st_size <= limit else b""
    finally:
        os.close(fd)
    if info.st_size > limit or len(data) > limit:
        size = f"{info.st_size:,} bytes" if info.st_size > limit else "still growing"
        raise ConfigError(
            f"is larger than {limit // 1024:,} KB ({size}); a config file is a few KB of "
            "TOML: is this the right file?",
            path=str(path),
        )
    return data.decode("utf-8")


def _read_at_most(fd: int, size: int) -> bytes:
    """Up to `size` bytes from `fd` (fewer only at the end of the file)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = os.read(fd, min(left, 65536))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
