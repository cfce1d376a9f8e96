"""Where the Rescale API key comes from: env, then a 0600 key file, then Rescale's apiconfig."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tui.core.errors import ProviderAuthError
from tui.core.providers.rescale.credentials import (
    ENV_VAR,
    ApiKey,
    apiconfig_path,
    load_api_key,
    read_profile,
)

ENV_KEY = "env-key-AAAA1111"
FILE_KEY = "file-key-BBBB2222"
PROFILE_KEY = "profile-key-CCCC3333"


def key_file(tmp_path: Path, value: str = FILE_KEY, mode: int = 0o600) -> Path:
    path = tmp_path / "rescale.key"
    path.write_text(value + "\n")
    path.chmod(mode)
    return path


def write_apiconfig(text: str) -> Path:
    path = apiconfig_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """All three sources hold a (different) key."""
    monkeypatch.setenv(ENV_VAR, ENV_KEY)
    write_apiconfig(f"[default]\napikey = {PROFILE_KEY}\napibaseurl = https://eu.rescale.com\n")
    return key_file(tmp_path)


def test_environment_wins_over_file_and_profile(everything: Path) -> None:
    key = load_api_key(api_key_file=everything, profile="default")
    assert key.reveal() == ENV_KEY
    assert key.source == f"the {ENV_VAR} environment variable"


def test_key_file_wins_over_profile(everything: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR)
    key = load_api_key(api_key_file=everything)
    assert key.reveal() == FILE_KEY
    assert str(everything) in key.source


def test_profile_is_the_last_resort(everything: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR)
    key = load_api_key(api_key_file=None)
    assert key.reveal() == PROFILE_KEY
    assert key.source == f"profile [default] of {apiconfig_path()}"


def test_a_named_profile_is_read_with_its_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    write_apiconfig(
        "[default]\napikey = one\n\n[work]\napikey = two\napibaseurl = https://kr.rescale.com\n"
    )
    assert load_api_key(api_key_file=None, profile="work").reveal() == "two"
    profile = read_profile("work")
    assert profile is not None and profile.base_url == "https://kr.rescale.com"


def test_a_missing_profile_names_the_ones_there() -> None:
    write_apiconfig("[default]\napikey = one\n[lab]\napikey = two\n")
    with pytest.raises(ProviderAuthError, match=r"no profile \[work\] \(profiles: default, lab\)"):
        load_api_key(api_key_file=None, profile="work")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path, mode=mode)
    with pytest.raises(ProviderAuthError) as caught:
        load_api_key(api_key_file=path)
    message = str(caught.value)
    assert f"{mode:04o}" in message and f"chmod 600 {path}" in message
    assert FILE_KEY not in message


def test_a_read_only_owner_file_is_fine(tmp_path: Path) -> None:
    assert load_api_key(api_key_file=key_file(tmp_path, mode=0o400)).reveal() == FILE_KEY


def test_a_missing_or_malformed_key_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ProviderAuthError, match="cannot read the Rescale api_key_file"):
        load_api_key(api_key_file=tmp_path / "nope")
    with pytest.raises(ProviderAuthError, match="just the key, on one line"):
        load_api_key(api_key_file=key_file(tmp_path, value="two words"))


def test_no_key_anywhere_lists_every_source() -> None:
    with pytest.raises(ProviderAuthError) as caught:
        load_api_key(api_key_file=None)
    message = str(caught.value)
    assert ENV_VAR in message and "api_key_file" in message and str(apiconfig_path()) in message
    assert caught.value.title == "No Rescale API key"


def test_the_key_never_shows_in_repr_str_or_logs(
    everything: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = load_api_key(api_key_file=everything)
    logging.getLogger("test").info("loaded %s / %r", key, key)
    for text in (repr(key), str(key), f"{key}", caplog.text):
        assert ENV_KEY not in text
    assert key == ApiKey(ENV_KEY, "elsewhere") and key != ApiKey("other", key.source)
