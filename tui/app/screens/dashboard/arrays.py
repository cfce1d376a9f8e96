"""Which array jobs are expanded in the jobs pane, and what a row under the cursor stands for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tui.app.screens.rows import TASK_PAGE, item_rows, more_key
from tui.core.arrays import ArrayGroup, group_arrays
from tui.core.models import Job
from widgets.tables.job import JobRow


class ArrayRows:
    """The jobs pane's rows with arrays grouped; `toggle` opens and closes them (`space`)."""

    def __init__(self) -> None:
        self.groups: dict[str, ArrayGroup] = {}
        """Array groups by row key."""
        self.expanded: dict[str, int] = {}
        """Open groups: row key -> how many tasks are shown."""
        self._owner: dict[str, str] = {}
        """Row key of a shown task or `more` row -> its group's row key."""
        self.count = 0
        """Jobs and arrays listed (an array counts once)."""

    def rows(self, jobs: Sequence[Job], now: datetime) -> list[JobRow]:
        """The rows for `jobs`: one per job or array, and the tasks of the open arrays."""
        items = group_arrays(jobs)
        self.count = len(items)
        self.groups = {item.key: item for item in items if isinstance(item, ArrayGroup)}
        self.expanded = {k: v for k, v in self.expanded.items() if k in self.groups}
        self._owner = {}
        for key, shown in self.expanded.items():
            group = self.groups[key]
            for task in group.tasks[:shown]:
                self._owner[task.key] = key
            self._owner[more_key(group)] = key
        return item_rows(items, now, self.expanded)

    def job_for(self, row_key: str, selected: Job | None = None) -> str | None:
        """The job key a row stands for: a group's first task (or its task `selected`, so the
        log stays put while tasks come and go); None for a `more` row."""
        group = self.groups.get(row_key)
        if group is not None:
            if selected is not None and any(t.key == selected.key for t in group.tasks):
                return selected.key
            return group.representative.key
        if row_key.endswith(":more") and row_key in self._owner:
            return None
        return row_key

    def toggle(self, row_key: str) -> str | None:
        """`space` on `row_key`: open/close its array, or show more tasks. Returns the row key
        the cursor should go to (the group's row when closing), or None when nothing changed."""
        if row_key in self.groups:
            if row_key in self.expanded:
                del self.expanded[row_key]
            else:
                self.expanded[row_key] = TASK_PAGE
            return row_key
        owner = self._owner.get(row_key)
        if owner is None:
            return None
        if row_key == more_key(self.groups[owner]):
            self.expanded[owner] += TASK_PAGE
            return row_key
        del self.expanded[owner]
        return owner
