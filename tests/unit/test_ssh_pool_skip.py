"""A skipped key stays skipped for the session; a wrong passphrase says so when asked again."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.errors import SshError
from tui.core.models import SshTarget
from tui.core.ssh.pool import SshPool


async def test_a_skipped_key_is_not_asked_again_until_the_user_says_so(
    server: tuple[SshTarget, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no default keys of the machine
    target, known_hosts = server
    answers: list[str | None] = [None, "open sesame"]
    asked: list[Path] = []

    async def user(path: Path, error: str | None = None) -> str | None:
        asked.append(path)
        return answers.pop(0)

    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, passphrase_callback=user)
    try:
        with pytest.raises(SshError) as first:
            await pool.run(target, "x", timeout=5)
        assert "skipped" in first.value.message
        for _ in range(3):  # the provider's retries
            with pytest.raises(SshError) as again:
                await pool.run(target, "x", timeout=5)
            assert "skipped for this session" in again.value.message
        assert asked == [target.key_path]
        assert pool.skipped_keys == (target.key_path,)
        assert pool.ask_again_for_skipped_keys() == 1
        assert await pool.run(target, "x", timeout=5) == (0, "hello\n", "")
        assert len(asked) == 2
    finally:
        await pool.close()


async def test_a_wrong_passphrase_is_said_in_the_next_prompt(
    server: tuple[SshTarget, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    target, known_hosts = server
    answers = ["nope", "still no", "open sesame"]
    errors: list[str | None] = []

    async def user(path: Path, error: str | None = None) -> str | None:
        errors.append(error)
        return answers.pop(0)

    pool = SshPool(known_hosts_paths=[known_hosts], use_agent=False, passphrase_callback=user)
    try:
        assert await pool.run(target, "x", timeout=5) == (0, "hello\n", "")
    finally:
        await pool.close()
    assert errors == [None, "wrong passphrase, 2 tries left", "wrong passphrase, 1 try left"]
