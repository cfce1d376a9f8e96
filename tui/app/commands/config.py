"""`clusterdeck init`, `clusterdeck config check` and `clusterdeck config path`.

`config check` reports every problem, not only the first (see `tui.core.config.check`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui.core.config.check import check_text
from tui.core.config.readfile import read_config_text
from tui.core.config.settings import (
    CONFIG_ENV,
    Settings,
    default_config_path,
    default_state_dir,
)
from tui.core.config.template import STARTER_CONFIG
from tui.core.errors import ConfigError


def config_file(option: Path | None) -> Path:
    """The config file the app would read: `--config`, else `$CLUSTERDECK_CONFIG`, else default."""
    if option is not None:
        return option
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else default_config_path()


def run_config_command(argv: Sequence[str]) -> int:
    """`clusterdeck config ARGV` (check or path), as `tui.app.cli.main` runs it."""
    from tui.app.cli import main

    return main(["config", *argv])


def run_init_command(argv: Sequence[str]) -> int:
    """`clusterdeck init ARGV`, as `tui.app.cli.main` runs it."""
    from tui.app.cli import main

    return main(["init", *argv])


# --- clusterdeck init --------------------------------------------------------------------------


def init_config(path: Path) -> int:
    """Write the commented starter config to `path`; never overwrite. Returns the exit status."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:
            out.write(STARTER_CONFIG)
    except FileExistsError:
        print(
            f"clusterdeck init: {path} already exists; not overwriting it. Check it with "
            f"`clusterdeck config check`, or move it away and run `clusterdeck init` again.",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"clusterdeck init: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote a starter config to {path}")
    print("edit it (the commented examples say what each key does), then run:")
    print("  clusterdeck config check")
    return 0


# --- clusterdeck config ------------------------------------------------------------------------


def print_paths(path: Path) -> int:
    """Print where clusterdeck's files live."""
    state = default_state_dir()
    source = " (from --config)" if path != default_config_path() else ""
    if not source and os.environ.get(CONFIG_ENV):
        source = f" (from {CONFIG_ENV})"
    exists = "" if path.is_file() else "  (not created yet: run `clusterdeck init`)"
    settings = Settings(state_dir=state)
    rows = [
        ("config file", f"{path}{source}{exists}"),
        ("state dir", str(state)),
        ("known_hosts", f"{settings.known_hosts_path}  (and ~/.ssh/known_hosts)"),
        ("demo key", str(demo_key_path(state))),
        ("ssh config", str(Path("~/.ssh/config").expanduser())),
    ]
    for name, value in rows:
        print(f"{name + ':':<13} {value}")
    return 0


def demo_key_path(state_dir: Path) -> Path:
    """The demo cluster's client key (see `DemoProvider.key_path`)."""
    return state_dir / "demo" / "id_ed25519"


def run_check(path: Path) -> int:
    """Check `path`, print the result; 0 when fine, 2 when there are problems."""
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        print(f"{path}: no config file here; create one with `clusterdeck init`", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(
            f"{path}: cannot read the config file ({exc}); check its permissions", file=sys.stderr
        )
        return 2
    from textual.theme import BUILTIN_THEMES

    from tui.app.bindings import known_binding_ids

    report = check_text(text, str(path), binding_ids=known_binding_ids(), themes=BUILTIN_THEMES)
    for problem in report.problems:
        print(problem)
    if report.stopped:
        print("(stopped here: fix the problem above to find any after it)")
    if report.problems:
        count = len(report.problems)
        print(f"{count} problem{'s' if count != 1 else ''} in {path}")
        return 2
    assert report.settings is not None
    from tui.app.factory import choose_provider

    try:
        choose_provider(report.settings)  # no provider and the demo off: the app cannot start
    except ConfigError as exc:
        print(exc)
        print(f"1 problem in {path}")
        return 2
    print(f"config OK: {summary(report.settings)}")
    return 0


def summary(settings: Settings) -> str:
    """What the file holds and what the app will show: `2 providers: uni (slurm), lab
    (inventory); the app shows both (the demo cluster only with --demo)`."""
    providers = settings.providers
    names = ", ".join(f"{p.name} ({p.type})" for p in providers)
    text = f"{len(providers)} provider{'s' if len(providers) != 1 else ''}"
    text += f": {names}" if names else ""
    if len(providers) == 1:
        return f"{text}; the app shows {providers[0].name} (the demo cluster only with --demo)"
    if providers:
        shown = "both" if len(providers) == 2 else f"all {len(providers)}"
        return f"{text}; the app shows {shown} (the demo cluster only with --demo)"
    return f"{text}; the app shows the demo cluster"
