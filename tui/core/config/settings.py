"""Settings: where files live, and the TOML config file, validated with `file:line` errors."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import platformdirs

from tui.core.config.providers import (
    ProviderConfig,
    explain_toml_error,
    parse_providers,
    providers_array_message,
)
from tui.core.config.readfile import read_config_text
from tui.core.config.watching import (
    NOTIFY_CHECKS,
    WATCH_CHECKS,
    NotifySettings,
    WatchSettings,
    notify_settings,
    watch_settings,
)
from tui.core.errors import ConfigError, StateDirError
from tui.core.files import make_private_dir
from tui.core.ssh.persistent import PERSIST_MODES, PersistMode

APP_NAME = "clusterdeck"
CONFIG_ENV = "CLUSTERDECK_CONFIG"
STATE_ENV = "CLUSTERDECK_STATE_DIR"

DEFAULT_LOG_MAX_LINES = 100_000
"""Lines the live log keeps (`[ui] log_max_lines`)."""
DEFAULT_POLL_INTERVAL = 2.0
"""Seconds between job/node refreshes (`[ui] poll_interval`)."""


def default_config_path() -> Path:
    """`config.toml` in the platform's config dir (XDG on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_state_dir() -> Path:
    """The state dir for demo keys, host keys and known_hosts."""
    override = os.environ.get(STATE_ENV)
    return Path(override) if override else Path(platformdirs.user_state_dir(APP_NAME))


@dataclass(frozen=True)
class DemoSettings:
    """The embedded demo cluster."""

    enabled: bool = True
    seed: int = 1
    speed: float = 1.0
    """How fast demo time runs: 2.0 moves jobs and logs twice as fast."""
    persistent: PersistMode = "off"
    """Shells in tmux on the demo's nodes (they run on this machine, so off unless asked)."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs from the command line and the config file."""

    state_dir: Path = field(default_factory=default_state_dir)
    config_path: Path | None = None
    """The file the settings came from, or None when there is none yet."""
    demo: DemoSettings = field(default_factory=DemoSettings)
    theme: str | None = None
    log_max_lines: int = DEFAULT_LOG_MAX_LINES
    poll_interval: float = DEFAULT_POLL_INTERVAL
    confirm_quit: bool = True
    """Ask before quitting while shells or tunnels are open."""
    keymap: Mapping[str, str] = field(default_factory=dict)
    clipboard_backend: Literal["auto", "native", "osc52", "buffer"] = "auto"
    """Which local clipboard to use; "auto" picks the first that works."""
    clipboard_remote_file: str = "clipboard.txt"
    """Where "send to file" writes on a node (relative paths start in the home directory)."""
    recording_folder: Path | None = None
    """`[recording] folder`: where shell recordings go (None: the state dir's `recordings`)."""
    record_input: bool = False
    """`[recording] input`: recordings keep typed input (passwords at a prompt left out)."""
    address_url: str | None = None
    """Where to learn this workstation's public address for the access-rule guard (off: None)."""
    providers: tuple[ProviderConfig, ...] = ()
    """The `[providers.NAME]` sections, in file order."""
    watch: WatchSettings = field(default_factory=WatchSettings)
    """Node metrics (`[watch]`)."""
    notify: NotifySettings = field(default_factory=NotifySettings)
    """Notifications (`[notify]`)."""

    download_dir: Path | None = None
    """Where downloads go (`<download_dir>/<job>`); None: ~/Downloads/clusterdeck."""
    files_verify: Literal["sha256", "size"] = "sha256"
    """How a finished transfer is checked (`[files] verify`)."""
    files_conflict: Literal["ask", "skip", "overwrite", "rename"] = "ask"
    """What to do when a transfer's destination exists (`[files] on_conflict`)."""

    @property
    def recordings_dir(self) -> Path:
        """Where shell recordings (asciicast files) are written."""
        return self.recording_folder or self.state_dir / "recordings"

    @property
    def known_hosts_path(self) -> Path:
        """The app's own known_hosts (the user's `~/.ssh/known_hosts` is read as well)."""
        return self.state_dir / "known_hosts"


def ensure_state_dir(path: Path) -> Path:
    """Create the state dir (0700, as any missing parent) and prove it is writable.

    Raises:
        StateDirError: it cannot be created or written.
    """
    try:
        make_private_dir(path)
        probe = path / ".write-test"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        probe.unlink()
    except OSError as exc:
        raise StateDirError(
            f"cannot write to the state directory {path} ({exc.strerror or exc}); "
            f"make it writable or point {STATE_ENV} at a directory you own"
        ) from exc
    return path


# --- the config file -------------------------------------------------------------------------

_Check = Callable[[Any], str | None]


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _is_int(low: int, high: int) -> _Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number from {low} to {high}"
        return None if low <= value <= high else f"must be from {low} to {high}"

    return check


def _is_number(low: float, high: float) -> _Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number from {low} to {high}"
        return None if low <= value <= high else f"must be from {low} to {high}"

    return check


def _is_str(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _is_folder(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return 'must be a folder path such as "~/Downloads/clusterdeck"'
    path = Path(value).expanduser()
    if not path.is_absolute():
        return "must be an absolute path or start with ~"
    if path.exists() and not path.is_dir():
        return f"must be a folder, but {path} is a file"
    return None


def _is_choice(*choices: str) -> _Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


_SCHEMA: dict[str, dict[str, _Check] | None] = {
    "ui": {
        "theme": _is_str,
        "log_max_lines": _is_int(1_000, 10_000_000),
        "poll_interval": _is_number(0.2, 3600),
        "confirm_quit": _is_bool,
    },
    "demo": {
        "enabled": _is_bool,
        "seed": _is_int(0, 2**31),
        "speed": _is_number(0.1, 100),
        "persistent": _is_choice(*PERSIST_MODES),
    },
    "clipboard": {
        "backend": _is_choice("auto", "native", "osc52", "buffer"),
        "remote_file": _is_str,
    },
    "identity": {"address_url": _is_str},
    "recording": {"folder": _is_str, "input": _is_bool},
    "watch": dict(WATCH_CHECKS),
    "notify": dict(NOTIFY_CHECKS),
    "files": {
        "download_dir": _is_folder,
        "verify": _is_choice("sha256", "size"),
        "on_conflict": _is_choice("ask", "skip", "overwrite", "rename"),
    },
    "keys": None,  # binding id -> keys; checked below
    "providers": None,  # [providers.NAME] sections; see tui.core.config.providers
}

_KEYS_VALUE = re.compile(r"^[\w+\-,. ]+$")
_KEY_NAME = re.compile(r"^(?:[\w\-.]+\+)*(?:[\w\-.]+|\+)$")
"""One key: `q`, `f6`, `ctrl+o`, `ctrl+shift+w`, `shift++` (modifiers joined by `+`)."""


def _key_list_problem(value: Any) -> str | None:
    """What is wrong with a `[keys]` value ("key" or "key1,key2"), or None."""
    usage = 'must be a key name such as "ctrl+o" or a comma-separated list of them'
    if not isinstance(value, str) or not _KEYS_VALUE.match(value):
        return f"{usage} (got {value!r})"
    names = [name.strip() for name in value.split(",")]
    if "" in names:
        return f"{usage}, with no empty names between the commas (got {value!r})"
    bad = [name for name in names if not _KEY_NAME.match(name)]
    if bad:
        return f"{usage}; {bad[0]!r} is not a key name (got {value!r})"
    return None


def toml_lines(text: str) -> list[str]:
    """The lines of TOML source as TOML (and tomllib's line numbers) count them: split at LF
    only. `str.splitlines()` also splits at U+2028, NEL and others, allowed in comments and
    strings."""
    return text.removesuffix("\n").split("\n") if text else []


class Locator:
    """Finds the line of a table or key in TOML source (tomllib gives no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = toml_lines(text)

    def table(self, name: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
        found = next((i + 1 for i, ln in enumerate(self.lines) if pattern.match(ln)), None)
        parts = name.split(".")
        return found or self.written(name) or self.written(parts[-1]) or self.written(parts[0])

    def written(self, name: str) -> int | None:
        """The first line naming `name` as a key in any other form: `name = `, `name.x = `,
        `x.name = `, `{ name = ...`, `[x.name]`, quoted or not (where a table has no header of
        its own, or a key is dotted)."""
        key = "|".join(re.escape(form) for form in (name, f'"{name}"', f"'{name}'"))
        pattern = re.compile(rf"(?:^|[.{{,\[])\s*(?:{key})\s*[=.\]]")
        return next((i + 1 for i, ln in enumerate(self.lines) if pattern.search(ln)), None)

    def array(self, name: str) -> int | None:
        """The line of the first `[[name]]` header."""
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        return next((i + 1 for i, ln in enumerate(self.lines) if pattern.match(ln)), None)

    def key(self, table: str | None, key: str) -> int | None:
        current: str | None = None
        header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
        assign = re.compile(rf'^\s*(?:"{re.escape(key)}"|{re.escape(key)})\s*=')
        for i, line in enumerate(self.lines):
            match = header.match(line)
            if match:
                current = match.group(1)
            elif current == table and assign.match(line):
                return i + 1
        dotted = self.written(f"{table}.{key}") if table else None
        return dotted or self.written(key) or (self.table(table) if table else None)


def load_settings(path: Path, *, state_dir: Path | None = None) -> Settings:
    """Read and validate the config file at `path`. Raises `ConfigError` with file and line."""
    where = str(path)
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        raise ConfigError(
            "config file not found; create it (see the README's configuration section) "
            "or run without --config to use the demo",
            path=where,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the config file ({exc}); check its permissions", path=where
        ) from exc
    return parse_settings(text, where, state_dir=state_dir)


def parse_settings(text: str, where: str, *, state_dir: Path | None = None) -> Settings:
    """Validate TOML `text` (from file `where`) into `Settings`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        message = explain_toml_error(reason, toml_lines(text), line) or (
            f"not valid TOML: {reason}; fix the syntax on this line"
        )
        raise ConfigError(message, path=where, line=line) from None
    locate = Locator(text)

    def fail(message: str, table: str | None, key: str | None = None) -> ConfigError:
        if key is None and table and table.startswith("providers."):
            return ConfigError(message, path=where, line=locate.table(table))
        line = locate.key(table, key) if key else locate.table(table or "")
        return ConfigError(message, path=where, line=line)

    for table, value in data.items():
        if table not in _SCHEMA:
            known = ", ".join(f"[{name}]" for name in _SCHEMA)
            raise fail(f"unknown section [{table}]; known sections are {known}", table)
        if isinstance(value, list):
            message = (
                providers_array_message(value)
                if table == "providers"
                else f"[[{table}]] must be a single section [{table}]"
            )
            line = locate.array(table) or locate.key(None, table)  # [[ui]] or ui = [...]
            raise ConfigError(message, path=where, line=line)
        if not isinstance(value, dict):
            raise ConfigError(
                f"{table!r} must be a section like [{table}]",
                path=where,
                line=locate.key(None, table),
            )
        checks = _SCHEMA[table]
        if table == "providers":
            continue
        for key, item in value.items():
            if checks is None:
                problem = _key_list_problem(item)
                if problem:
                    raise fail(f"[keys] {key} {problem}", table, key)
                continue
            if key not in checks:
                known = ", ".join(sorted(checks))
                raise fail(f"unknown key {key!r} in [{table}]; known keys: {known}", table, key)
            problem = checks[key](item)
            if problem:
                raise fail(f"[{table}] {key} {problem} (got {item!r})", table, key)

    providers = parse_providers(data.get("providers", {}), fail, locate.table)
    ui = data.get("ui", {})
    demo = data.get("demo", {})
    clipboard = data.get("clipboard", {})
    recording = data.get("recording", {})
    folder = recording.get("folder")
    files = data.get("files", {})
    download_dir = files.get("download_dir")
    return Settings(
        state_dir=state_dir or default_state_dir(),
        config_path=Path(where),
        demo=DemoSettings(
            enabled=demo.get("enabled", True),
            seed=demo.get("seed", 1),
            speed=float(demo.get("speed", 1.0)),
            persistent=demo.get("persistent", "off"),
        ),
        theme=ui.get("theme"),
        log_max_lines=ui.get("log_max_lines", 100_000),
        poll_interval=float(ui.get("poll_interval", 2.0)),
        confirm_quit=ui.get("confirm_quit", True),
        keymap=dict(data.get("keys", {})),
        providers=providers,
        address_url=data.get("identity", {}).get("address_url"),
        clipboard_backend=clipboard.get("backend", "auto"),
        clipboard_remote_file=clipboard.get("remote_file", "clipboard.txt"),
        recording_folder=Path(folder).expanduser() if folder else None,
        record_input=recording.get("input", False),
        watch=watch_settings(data.get("watch", {})),
        notify=notify_settings(data.get("notify", {})),
        download_dir=Path(download_dir).expanduser() if download_dir else None,
        files_verify=files.get("verify", "sha256"),
        files_conflict=files.get("on_conflict", "ask"),
    )
