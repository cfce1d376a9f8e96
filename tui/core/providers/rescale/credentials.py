"""Where the Rescale API key comes from, and a holder that never shows it.

Precedence (the first that yields a key wins):

1. the `RESCALE_API_KEY` environment variable (what Rescale's own tools read);
2. `api_key_file` from the provider's config section: a file holding only the key, with no
   group or other permission bits (0600 or 0400), otherwise it is refused;
3. the `apikey` of a profile (default `[default]`) in Rescale's own INI file
   `~/.config/rescale/apiconfig` (written by Rescale's CLI tools; its permissions are not
   checked because clusterdeck does not own it). The profile's `apibaseurl` is also used as the
   base URL when neither `base_url` nor `region` is configured.

The key itself is never printed, logged, put in an exception message or in a repr: only its
source ("the RESCALE_API_KEY environment variable", "api_key_file /path", ...) is shown.
"""

from __future__ import annotations

import configparser
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import ProviderAuthError

ENV_VAR = "RESCALE_API_KEY"
DEFAULT_PROFILE = "default"


class RescaleNoKey(ProviderAuthError):
    """No source holds a key (see the module docstring for the sources)."""

    title = "No Rescale API key"


def apiconfig_path() -> Path:
    """Rescale's own credential file, `~/.config/rescale/apiconfig`."""
    return Path.home() / ".config" / "rescale" / "apiconfig"


class ApiKey:
    """An API key and where it was read from; `str()` and `repr()` show only the source."""

    __slots__ = ("_value", "origin", "source")

    def __init__(self, value: str, source: str, origin: str = "other") -> None:
        self._value = value
        self.source = source
        self.origin = origin  # "env", "file", "profile" (or "other")

    def reveal(self) -> str:
        """The key itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(source={self.source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Profile:
    """One section of `apiconfig`: its key (if any) and base URL (if any)."""

    name: str
    path: Path
    api_key: ApiKey | None
    base_url: str | None


def sources_hint(api_key_file: Path | None, profile: str) -> str:
    """One sentence naming every place a key is read from, in order."""
    file_part = (
        f"the api_key_file {api_key_file} (mode 0600)"
        if api_key_file
        else ("an `api_key_file` (mode 0600) named in the provider's config section")
    )
    return (
        f"Keys are read from the {ENV_VAR} environment variable, then {file_part}, then "
        f"profile [{profile}] of {apiconfig_path()}"
    )


def read_profile(profile: str, *, path: Path | None = None) -> Profile | None:
    """The `profile` section of `apiconfig`; None when the file does not exist.

    Raises:
        ProviderAuthError: when the file is unreadable, malformed or lacks the profile.
    """
    path = path or apiconfig_path()
    if not path.exists():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ProviderAuthError(
            f"cannot read Rescale's credential file {path}: {type(exc).__name__}; fix or remove "
            "it, or set the key another way"
        ) from None
    if not parser.has_section(profile):
        names = ", ".join(parser.sections()) or "none"
        raise ProviderAuthError(
            f"{path} has no profile [{profile}] (profiles: {names}); set `profile` in the "
            "provider's config section to one of them"
        )
    section = parser[profile]
    raw_key = (section.get("apikey") or "").strip()
    raw_url = (section.get("apibaseurl") or "").strip()
    key = ApiKey(raw_key, f"profile [{profile}] of {path}", "profile") if raw_key else None
    return Profile(profile, path, key, raw_url or None)


def read_key_file(path: Path) -> ApiKey:
    """The key in `path` (surrounding whitespace dropped), refusing a file others can read.

    Raises:
        ProviderAuthError: when the file is missing, too open or empty.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ProviderAuthError(
            f"cannot read the Rescale api_key_file {path}: {exc.strerror or exc}; create it "
            "with the key on one line and `chmod 600` it, or fix `api_key_file`"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ProviderAuthError(f"the Rescale api_key_file {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ProviderAuthError(
            f"refusing the Rescale api_key_file {path}: its permissions are {mode:04o}, so other "
            f"users may read the key; run `chmod 600 {path}` (and consider making a new key)",
            title="API key file is readable by others",
        )
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderAuthError(
            f"cannot read the Rescale api_key_file {path}: {type(exc).__name__}"
        ) from None
    if not value or any(ch.isspace() for ch in value):
        raise ProviderAuthError(
            f"the Rescale api_key_file {path} must hold just the key, on one line"
        )
    return ApiKey(value, f"the api_key_file {path}", "file")


def load_api_key(
    *,
    api_key_file: Path | None,
    profile: str = DEFAULT_PROFILE,
    environ: dict[str, str] | None = None,
) -> ApiKey:
    """The key by the precedence in the module docstring.

    Raises:
        ProviderAuthError: when no source has a key, or the chosen source is unusable.
    """
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "").strip()
    if value:
        return ApiKey(value, f"the {ENV_VAR} environment variable", "env")
    if api_key_file is not None:
        return read_key_file(api_key_file)
    found = read_profile(profile)
    if found is not None and found.api_key is not None:
        return found.api_key
    where = (
        f"profile [{profile}] of {found.path} has no `apikey`"
        if found is not None
        else f"{apiconfig_path()} does not exist"
    )
    raise RescaleNoKey(
        f"no Rescale API key found ({ENV_VAR} is not set, no api_key_file is configured and "
        f"{where}). Create a key in Rescale under Settings > API "
        "(https://platform.rescale.com/user/settings/api-key/), then export "
        f"{ENV_VAR}, or put it in a 0600 file and name it as `api_key_file`"
    )
