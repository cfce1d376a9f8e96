"""The Rescale provider's HTTP behaviour against the fake platform on loopback.

Paging, auth header and trailing slashes; every error path: 401, wrong platform, 429 with
Retry-After, 429 storms, 500 retried for GETs only, POST stop never retried, slow answers,
malformed JSON, network down and stale data; and the key never leaking.
"""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fake_rescale import API_KEY, FakeRescale, http_date, running_fake
from tests.fake_rescale.faults import MB, huge_page, nested_json
from tests.fake_rescale.helpers import RecordingClock, make_provider
from tui.core.errors import ProviderAuthError, ProviderError, ProviderUnavailable
from tui.core.providers.rescale.api import RescaleRateLimited, RetryPolicy
from tui.core.providers.rescale.credentials import ENV_VAR
from tui.core.providers.rescale.provider import RescaleProvider

JOBS = r"^jobs/$"


@pytest.fixture
def fake() -> Iterator[FakeRescale]:
    with running_fake() as server:
        yield server


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    return API_KEY


@pytest.fixture
async def provider(fake: FakeRescale, api_key: str) -> AsyncIterator[RescaleProvider]:
    provider = make_provider(fake)
    await provider.start()
    yield provider
    await provider.close()


def sleeps(provider: RescaleProvider) -> list[float]:
    clock = provider._clock
    assert isinstance(clock, RecordingClock)
    return clock.sleeps


async def test_paging_follows_next_over_three_pages(fake: FakeRescale, api_key: str) -> None:
    for i in range(25):
        fake.add_job(f"sweep-{i:02d}", status="Completed")
    provider = make_provider(fake, page_size=10)
    await provider.start()
    try:
        jobs = await provider.list_jobs()
    finally:
        await provider.close()
    assert sorted(j.name for j in jobs) == [f"sweep-{i:02d}" for i in range(25)]
    pages = [r.query.get("page", "1") for r in fake.requests if r.path == "jobs/"]
    assert pages == ["1", "2", "3"]
    assert {r.authorization for r in fake.requests} == {f"Token {API_KEY}"}
    assert all(r.path.endswith("/") for r in fake.requests)


async def test_401_says_where_the_key_came_from_and_never_shows_it(
    fake: FakeRescale, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-key-zzzz9999"
    monkeypatch.setenv(ENV_VAR, wrong)
    provider = make_provider(fake)
    await provider.start()
    with pytest.raises(ProviderAuthError) as caught:
        await provider.list_jobs()
    await provider.close()
    message = str(caught.value)
    assert f"read from the {ENV_VAR} environment variable" in message
    assert "Invalid token" in message and "api_key_file" in message and "apiconfig" in message
    assert fake.seen("GET", JOBS) == 1  # a 401 is not retried
    for text in (message, repr(provider), caplog.text, repr(caught.value.args)):
        assert wrong not in text


async def test_401_from_a_key_file_names_the_file(fake: FakeRescale, tmp_path: Path) -> None:
    key = tmp_path / "rescale.key"
    key.write_text("bad-key-from-file\n")
    key.chmod(0o600)
    provider = make_provider(fake, api_key_file=key)
    await provider.start()
    with pytest.raises(ProviderAuthError, match=f"read from the api_key_file {key}"):
        await provider.list_jobs()
    await provider.close()


async def test_a_404_on_the_job_list_means_a_wrong_platform(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 404, body="<html>no such page</html>")
    with pytest.raises(ProviderError) as caught:
        await provider.list_jobs()
    assert caught.value.title == "Wrong Rescale region or base URL"
    assert "does not look like a Rescale platform" in str(caught.value)
    fake.fail("GET", r"^users/me/$", 404)
    with pytest.raises(ProviderError, match="set `region`"):
        await provider.check()


async def test_check_reports_user_platform_and_job_count(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("a")
    fake.add_job("b", status="Completed")
    report = await provider.check()
    assert report.user == "Ada Lovelace <ada@example.com>"
    assert report.job_count == 2 and report.base_url == fake.base_url
    assert f"{ENV_VAR}" in report.lines()[0]


async def test_429_waits_retry_after_then_succeeds(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("a")
    fake.fail(
        "GET",
        JOBS,
        429,
        times=2,
        headers={"Retry-After": "2"},
        body={"detail": "Request was throttled. Expected available in 2 seconds."},
    )
    jobs = await provider.list_jobs()
    assert [j.name for j in jobs] == ["a"]
    assert fake.seen("GET", JOBS) == 3
    assert sleeps(provider)[:2] == [2.0, 2.0]


async def test_429_with_an_http_date(fake: FakeRescale, provider: RescaleProvider) -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    fake.fail("GET", JOBS, 429, headers={"Retry-After": http_date(when)})
    await provider.list_jobs()
    assert 10 < sleeps(provider)[0] <= 20


async def test_a_429_storm_cools_down_without_asking_again(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 429, times=100, headers={"Retry-After": "5"})
    with pytest.raises(RescaleRateLimited, match="rate-limited"):
        await provider.list_jobs()
    assert fake.seen("GET", JOBS) == 4  # the first try and 3 retries
    with pytest.raises(RescaleRateLimited, match=r"not asking again for [45] s"):
        await provider.list_jobs()
    assert fake.seen("GET", JOBS) == 4


async def test_a_retry_after_beyond_the_cap_is_not_waited_for(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 429, headers={"Retry-After": "3600"})
    with pytest.raises(RescaleRateLimited) as caught:
        await provider.list_jobs()
    assert caught.value.retry_after == 300  # the cap on any cool-down
    assert "asked for 3600 s" in str(caught.value) and "waiting 300 s" in str(caught.value)
    assert fake.seen("GET", JOBS) == 1 and sleeps(provider) == []


async def test_500_is_retried_for_get_with_backoff(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("a")
    fake.fail("GET", JOBS, 500, times=2)
    assert len(await provider.list_jobs()) == 1
    assert fake.seen("GET", JOBS) == 3
    assert sleeps(provider)[:2] == [0.01, 0.02]


async def test_500_that_persists_is_an_unavailable_error(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 502, times=10)
    with pytest.raises(ProviderUnavailable, match=r"server error .* 502"):
        await provider.list_jobs()
    assert fake.seen("GET", JOBS) == 4


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 503}, {"status": None, "delay": 1}])
async def test_post_stop_is_never_retried(
    fake: FakeRescale, api_key: str, fault: dict[str, float | None]
) -> None:
    job = fake.add_job("cfd")
    provider = make_provider(fake, timeout=0.3)
    await provider.start()
    listed = (await provider.list_jobs())[0]
    fake.fail("POST", r"stop/$", fault["status"], delay=fault.get("delay") or 0.0)  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="never sent twice"):
        await provider.stop_job(listed)
    await provider.close()
    assert fake.seen("POST", rf"^jobs/{job.id}/stop/$") == 1


async def test_a_slow_answer_times_out_and_the_retry_succeeds(
    fake: FakeRescale, api_key: str
) -> None:
    fake.add_job("a")
    provider = make_provider(fake, timeout=0.2, retry=RetryPolicy(retries=1, backoff=0.01))
    await provider.start()
    fake.fail("GET", JOBS, None, delay=1.0)
    assert len(await provider.list_jobs()) == 1
    assert fake.seen("GET", JOBS) == 2
    fake.fail("GET", JOBS, None, times=10, delay=1.0)
    provider.invalidate()
    with pytest.raises(ProviderUnavailable, match=r"did not answer /api/v2/jobs/ within 0\.2 s"):
        await provider.list_jobs()
    await provider.close()


async def test_malformed_json_is_reported(fake: FakeRescale, provider: RescaleProvider) -> None:
    fake.fail("GET", JOBS, 200, body="{not json")
    with pytest.raises(ProviderError, match="malformed JSON for /api/v2/jobs/"):
        await provider.list_jobs()


async def test_a_next_page_on_another_host_is_refused(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    page = {
        "count": 2,
        "next": "http://evil.example/api/v2/jobs/?page=2",
        "previous": None,
        "results": [{"id": "X1", "name": "x", "jobStatus": {"content": "Completed"}}],
    }
    fake.fail("GET", JOBS, 200, body=page)
    with pytest.raises(ProviderError, match="another host"):
        await provider.list_jobs()


async def test_network_down_marks_the_list_stale_and_recovers(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("cfd")
    assert len(await provider.list_jobs()) == 1
    fake.stop()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.list_jobs()
    message = str(caught.value)
    assert "cannot reach Rescale at 127.0.0.1" in message
    assert "Showing the job list from" in message and "ago (stale)" in message
    assert "refreshes by itself" in message
    fake.start()
    assert [j.name for j in await provider.list_jobs()] == ["cfd"]


async def test_unreachable_before_any_data_is_not_called_stale(api_key: str) -> None:
    with running_fake() as gone:
        pass  # started and stopped: nothing listens on its port now
    provider = make_provider(gone, retry=RetryPolicy(retries=0))
    await provider.start()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.list_jobs()
    await provider.close()
    assert "stale" not in str(caught.value) and "region" in str(caught.value)


# --- hostile answers: huge bodies, deep nesting, absurd Retry-After, control characters ---------


async def test_a_huge_answer_is_abandoned_at_the_cap_with_bounded_memory(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 200, body=huge_page(50 * MB))  # chunked: no length to refuse early
    tracemalloc.start()
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.list_jobs()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "larger than 16 MB" in message and f"GET {fake.base_url}/api/v2/jobs/ " in message
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB while refusing a 50 MB answer"
    fake.add_job("after")
    assert [j.name for j in await provider.list_jobs()] == ["after"]  # the client still works


async def test_a_huge_declared_length_is_refused_before_reading(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 200, body=huge_page(50 * MB, declare_length=True))
    with pytest.raises(ProviderError, match=r"larger than 16 MB \(it declares 52,"):
        await provider.list_jobs()
    assert fake.seen("GET", JOBS) == 1  # not retried


@pytest.mark.parametrize("status", [200, 500])
async def test_json_nested_100000_deep_is_a_malformed_response(
    fake: FakeRescale, provider: RescaleProvider, status: int
) -> None:
    fake.fail("GET", JOBS, status, times=10, body=nested_json(100_000))
    with pytest.raises(ProviderError) as caught:
        await provider.list_jobs()
    if status == 200:
        assert "malformed response for /api/v2/jobs/" in str(caught.value)
        assert "nested too deeply" in str(caught.value)
    else:  # the error body is shown as an excerpt instead
        assert "server error for /api/v2/jobs/ (500: [[[[" in str(caught.value)


class SteppingClock(RecordingClock):
    """The recording clock whose monotonic time can be moved forward by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.offset


@pytest.mark.parametrize(
    ("header", "asked"),
    [
        ("999999", "999999"),
        ("1e308", "1e+308"),
        (http_date(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)), "2.5"),
    ],
)
async def test_an_absurd_retry_after_cools_down_for_at_most_300_s(
    fake: FakeRescale, api_key: str, header: str, asked: str
) -> None:
    fake.add_job("a")
    clock = SteppingClock()
    provider = make_provider(fake, clock=clock)
    await provider.start()
    fake.fail("GET", JOBS, 429, headers={"Retry-After": header})
    with pytest.raises(RescaleRateLimited) as caught:
        await provider.list_jobs()
    assert caught.value.retry_after == 300
    assert f"asked for {asked}" in str(caught.value) and "waiting 300 s" in str(caught.value)
    with pytest.raises(RescaleRateLimited, match=r"not asking again for (300|299) s"):
        await provider.list_jobs()
    clock.offset += 301
    assert [j.name for j in await provider.list_jobs()] == ["a"]
    await provider.close()
    assert fake.seen("GET", JOBS) == 2 and clock.sleeps == []


@pytest.mark.parametrize("header", ["inf", "-inf", "nan", "-5", "soon", "Mon, 32 Foo 9999"])
async def test_an_invalid_retry_after_backs_off_normally(
    fake: FakeRescale, provider: RescaleProvider, header: str
) -> None:
    fake.add_job("a")
    fake.fail("GET", JOBS, 429, headers={"Retry-After": header})
    assert [j.name for j in await provider.list_jobs()] == ["a"]
    assert sleeps(provider)[:1] == [0.01]  # the first backoff step, not 0 and not forever
    fake.fail("GET", JOBS, 429, times=10, headers={"Retry-After": header})
    provider.invalidate()
    with pytest.raises(RescaleRateLimited, match="no usable Retry-After"):
        await provider.list_jobs()


async def test_error_bodies_never_carry_control_characters_raw(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.fail("GET", JOBS, 403, body={"detail": "no\x1b[2J\x1b]0;owned\x07 \u202egnp.exe\r\nx"})
    with pytest.raises(ProviderError) as caught:
        await provider.list_jobs()
    message = str(caught.value)
    assert "no\\x1b[2J\\x1b]0;owned\\x07 \\u202egnp.exe x" in message
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in message)
