"""Names on both sides: partial files, free names for "keep both", the default local folder."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from tui.core.transfers.model import TransferError

PART_SUFFIX = ".clusterdeck-part"
"""A file being written is `.NAME.clusterdeck-part` beside its final name (resumed from there)."""
DEFAULT_DOWNLOADS = Path("~/Downloads/clusterdeck")
_UNSAFE_FOLDER = re.compile(r"[\x00-\x1f\x7f/\\]+")


def part_name(name: str) -> str:
    """The temporary name `name` is written under until it is complete and checked."""
    return f".{name}{PART_SUFFIX}"


def is_part(name: str) -> bool:
    return name.startswith(".") and name.endswith(PART_SUFFIX)


def local_part(dest: Path) -> Path:
    return dest.with_name(part_name(dest.name))


def remote_part(dest: str) -> str:
    folder, name = posixpath.split(dest)
    return posixpath.join(folder, part_name(name))


def check_name(name: str) -> str:
    """`name` (one directory entry from the other side) when it is safe to create here.

    Raises TransferError for an empty name, `.`/`..`, or one with a slash or a NUL.
    """
    if name in ("", ".", "..") or "/" in name or "\x00" in name:
        raise TransferError(f"refusing the file name {name!r}: not a plain name")
    return name


def free_name(name: str, exists: Callable[[str], bool]) -> str:
    """`name`, or `stem (1).ext`, `stem (2).ext`... the first for which `exists` is false."""
    if not exists(name):
        return name
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no extension, or a dot file such as ".bashrc"
        stem, dot, ext = name, "", ""
    for number in range(1, 10_000):
        candidate = f"{stem} ({number}){dot}{ext}"
        if not exists(candidate):
            return candidate
    raise TransferError(f"no free name next to {name!r}")


def job_folder_name(job_name: str) -> str:
    """A job's name as one local folder name: controls and slashes become `_`."""
    cleaned = _UNSAFE_FOLDER.sub("_", job_name).strip(" .")
    return cleaned or "job"


def job_download_dir(base: Path | None, job_name: str) -> Path:
    """Where a job's downloads go by default: `<base>/<job>` (base: ~/Downloads/clusterdeck)."""
    return (base or DEFAULT_DOWNLOADS).expanduser() / job_folder_name(job_name)
