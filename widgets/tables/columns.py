"""What a keyed table is made of: row models with a key, and columns that turn a row into a cell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rich.text import Text

Cell = str | Text


class KeyedRow(Protocol):
    """What a row model needs: a stable key (job id, node name)."""

    @property
    def key(self) -> str: ...


RowT = TypeVar("RowT", bound=KeyedRow)


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: its key (for `get_cell`), its header, and how a row becomes its cell."""

    key: str
    label: str
    cell: Callable[[RowT], Cell]


def same_cell(before: Cell, after: Cell) -> bool:
    """Whether two cells look the same (rich's `Text ==` ignores the style and justify)."""
    if isinstance(before, Text) and isinstance(after, Text):
        return (
            before.plain == after.plain
            and before.style == after.style
            and before.justify == after.justify
            and before.spans == after.spans
        )
    return type(before) is type(after) and before == after
