"""A small output (an echo) is put on the screen at once; a flood waits for its frame."""

from __future__ import annotations

import pytest

from tests.widgets.terminal_fakes import FakeBackend, Host, show, started, wait_for
from widgets.terminal import TerminalView, host, paint


@pytest.fixture
def painted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each immediate paint did (True: composited and written before the tick)."""
    calls: list[bool] = []

    def recording(widget: TerminalView) -> bool:
        calls.append(paint.paint_now(widget))
        return calls[-1]

    monkeypatch.setattr(host, "paint_now", recording)
    return calls


async def test_an_echo_is_painted_at_once_and_a_flood_is_not(painted: list[bool]) -> None:
    async with Host(FakeBackend()).run_test(size=(80, 12)) as pilot:
        view, _ = await started(pilot)
        await pilot.pause()
        await show(pilot, view, b"a")
        await wait_for(pilot, lambda: True in painted, "an immediate paint")
        assert view.screen_text()[0] == "a"
        before = len(painted)
        await show(pilot, view, b"".join(b"line %d\r\n" % i for i in range(20_000)))
        assert len(painted) == before  # fed in 128 KiB slices: frames come on the flood's clock
        assert view.screen_text()[-2] == "line 19999"


async def test_a_terminal_mounted_while_another_echoes_still_starts(painted: list[bool]) -> None:
    async with Host(FakeBackend()).run_test(size=(80, 24)) as pilot:
        first, backend = await started(pilot)
        second = TerminalView(FakeBackend())
        second.styles.height = 6
        first.styles.height = 6
        await pilot.app.mount(second)
        for char in b"echo":
            backend.push(bytes([char]))
            await pilot.pause()
        await wait_for(pilot, lambda: second.state == "running", "the second terminal")
        await wait_for(pilot, lambda: first.screen_text()[0] == "echo", "the echo")
        assert second.size.area > 0
