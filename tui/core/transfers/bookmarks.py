"""Bookmarked remote folders, per cluster, in the state dir (`bookmarks.json`, 0600)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tui.core.errors import StateDirError
from tui.core.files import write_private_file

log = logging.getLogger(__name__)
MAX_PER_CLUSTER = 50


class Bookmarks:
    """`{cluster: [folder, ...]}`; a broken file is logged and treated as empty."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, list[str]] = self._load()

    def _load(self) -> dict[str, list[str]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", self.path, exc)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            str(cluster): [str(p) for p in paths if isinstance(p, str)]
            for cluster, paths in raw.items()
            if isinstance(paths, list)
        }

    def of(self, cluster: str) -> list[str]:
        """The folders bookmarked on `cluster`, oldest first."""
        return list(self._data.get(cluster, []))

    def toggle(self, cluster: str, folder: str) -> bool:
        """Bookmark `folder` on `cluster`, or drop it if it was; True when now bookmarked."""
        folders = self._data.setdefault(cluster, [])
        added = folder not in folders
        if added:
            folders.append(folder)
            del folders[:-MAX_PER_CLUSTER]
        else:
            folders.remove(folder)
        self._save()
        return added

    def _save(self) -> None:
        text = json.dumps(self._data, indent=1, ensure_ascii=False) + "\n"
        try:
            write_private_file(self.path, text.encode("utf-8"))
        except StateDirError as exc:
            log.warning("cannot save %s: %s", self.path, exc)
