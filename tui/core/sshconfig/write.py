"""Writing Host blocks into a file for `Include`: clusterdeck's own blocks replaced, the rest kept.

Each block clusterdeck writes sits between `# >>> clusterdeck ALIAS >>>` and
`# <<< clusterdeck ALIAS <<<`. Writing again replaces the blocks of the same aliases where they
are and appends new ones; every other line (the user's own hosts, comments) stays as it was.
A begin marker without its end (a hand-edited file) stops the write rather than guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import StateDirError
from tui.core.files import write_private_file
from tui.core.sshconfig.blocks import HostBlock, SshConfigError

DEFAULT_FILE = Path("~/.ssh/clusterdeck.conf")
MARK = re.compile(r"# (>>>|<<<) clusterdeck (\S+) (>>>|<<<)$")
MAX_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Written:
    """What a write did."""

    path: Path
    replaced: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def summary(self) -> str:
        parts = []
        if self.added:
            parts.append(f"added {', '.join(self.added)}")
        if self.replaced:
            parts.append(f"replaced {', '.join(self.replaced)}")
        return f"{'; '.join(parts) or 'nothing changed'} in {self.path}"


def merge(
    existing: str, blocks: list[HostBlock], *, where: str = "the file"
) -> tuple[str, Written]:
    """`existing` with `blocks` put in (same alias: replaced in place; new: appended)."""
    fresh = {block.alias: block.render() for block in blocks}
    out: list[str] = []
    replaced: list[str] = []
    inside: str | None = None
    for number, line in enumerate(existing.splitlines(keepends=True), start=1):
        mark = MARK.match(line.rstrip("\n"))
        if inside is None:
            if mark is not None and mark.group(1) == ">>>":
                inside = mark.group(2)
                if inside in fresh and inside not in replaced:
                    out.append(fresh[inside])
                    replaced.append(inside)
                elif inside in fresh:
                    pass  # a second copy of the same alias: dropped
                else:
                    out.append(line)
                continue
            out.append(line)
            continue
        if mark is not None and mark.group(1) == "<<<" and mark.group(2) == inside:
            if inside not in fresh:
                out.append(line)
            inside = None
            continue
        if mark is not None:
            raise SshConfigError(
                f"{where}:{number}: clusterdeck's block {inside} has no end marker "
                f"(`# <<< clusterdeck {inside} <<<`); fix the file by hand first"
            )
        if inside not in fresh:
            out.append(line)
    if inside is not None:
        raise SshConfigError(
            f"{where}: clusterdeck's block {inside} has no end marker "
            f"(`# <<< clusterdeck {inside} <<<`); fix the file by hand first"
        )
    added = [alias for alias in fresh if alias not in replaced]
    text = "".join(out)
    for alias in added:
        if text and not text.endswith("\n\n"):
            text += "\n" if text.endswith("\n") else "\n\n"
        text += fresh[alias]
    return text, Written(Path(where), tuple(replaced), tuple(added))


def write_blocks(path: Path, blocks: list[HostBlock]) -> Written:
    """Put `blocks` into `path` (made 0600 if new; a symlink's target is written)."""
    target = path.expanduser()
    if target.is_symlink():
        target = target.resolve()
    try:
        info = target.stat()
    except FileNotFoundError:
        existing = ""
    except OSError as exc:
        raise SshConfigError(f"cannot read {target}: {exc.strerror or exc}") from exc
    else:
        if not os.path.isfile(target):
            raise SshConfigError(f"{target} is not a regular file; give another --write path")
        if info.st_size > MAX_SIZE:
            raise SshConfigError(
                f"{target} is over {MAX_SIZE // 1024 // 1024} MB: not an ssh config"
            )
        try:
            existing = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SshConfigError(f"cannot read {target}: {exc}") from exc
    text, written = merge(existing, blocks, where=str(target))
    try:
        write_private_file(target, text.encode("utf-8"))
    except StateDirError as exc:
        raise SshConfigError(f"cannot write {target}: {exc.__cause__ or exc}") from exc
    return Written(target, written.replaced, written.added)
