"""Slurm hostlists: `node[01-04,07],gpu[1-2]` -> the node names they stand for."""

from __future__ import annotations

import itertools
import re

MAX_HOSTS = 100_000
"""Refuse to expand a hostlist into more names than this (a typo like `n[1-999999999]`)."""

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


class HostlistError(ValueError):
    """A hostlist that cannot be expanded (unbalanced brackets, bad range, too many hosts)."""


def split_top_level(text: str) -> list[str]:
    """Split `text` on commas that are outside brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
            if depth > 1:
                raise HostlistError(f"nested brackets in hostlist {text!r}")
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise HostlistError(f"unbalanced ']' in hostlist {text!r}")
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0:
        raise HostlistError(f"unbalanced '[' in hostlist {text!r}")
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _expand_range(spec: str, whole: str) -> list[str]:
    values: list[str] = []
    for item in spec.split(","):
        match = _RANGE.match(item.strip())
        if match is None:
            raise HostlistError(f"bad range {item!r} in hostlist {whole!r}")
        first, last = match.group(1), match.group(2)
        if last is None:
            values.append(first)
            continue
        if max(len(first), len(last)) > 18:  # int() refuses 4301 digits; no cluster has 10**18
            raise HostlistError(f"range {item!r} in hostlist {whole!r} is too large")
        low, high = int(first), int(last)
        if high < low:
            raise HostlistError(f"range {item!r} goes backwards in hostlist {whole!r}")
        if high - low >= MAX_HOSTS:
            raise HostlistError(f"range {item!r} in hostlist {whole!r} is too large")
        width = len(first) if first.startswith("0") or len(first) == len(last) else 0
        values.extend(str(n).zfill(width) for n in range(low, high + 1))
        if len(values) > MAX_HOSTS:  # many ranges in one bracket
            raise HostlistError(f"hostlist {whole!r} stands for more than {MAX_HOSTS} hosts")
    return values


def _expand_one(pattern: str, whole: str) -> list[str]:
    """Expand one comma-free pattern; several bracket groups multiply (`r[1-2]n[1-2]`)."""
    pieces: list[list[str]] = []
    rest = pattern
    while "[" in rest:
        head, _, tail = rest.partition("[")
        spec, sep, rest = tail.partition("]")
        if not sep:
            raise HostlistError(f"unbalanced '[' in hostlist {whole!r}")
        pieces.append([head])
        pieces.append(_expand_range(spec, whole))
    if "]" in rest:
        raise HostlistError(f"unbalanced ']' in hostlist {whole!r}")
    pieces.append([rest])
    total = 1
    for piece in pieces:
        total *= len(piece)
    if total > MAX_HOSTS:
        raise HostlistError(f"hostlist {whole!r} stands for more than {MAX_HOSTS} hosts")
    return ["".join(parts) for parts in itertools.product(*pieces)]


def expand_hostlist(text: str | None) -> list[str]:
    """The node names of a Slurm hostlist, in order, without duplicates.

    `""`, `None` and `(null)` (what Slurm prints for "no nodes") give an empty list.

    Raises:
        HostlistError: when the hostlist is malformed or too large.
    """
    if text is None:
        return []
    text = text.strip()
    if not text or text == "(null)":
        return []
    names: list[str] = []
    for part in split_top_level(text):
        names.extend(_expand_one(part, text))
        if len(names) > MAX_HOSTS:
            raise HostlistError(f"hostlist {text!r} stands for more than {MAX_HOSTS} hosts")
    return list(dict.fromkeys(names))
