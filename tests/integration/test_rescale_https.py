"""The Rescale API over real HTTPS (a loopback certificate): `next` links may not leave https."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_rescale import API_KEY, FakeRescale
from tests.fake_rescale.helpers import make_provider
from tests.fake_rescale.tls import LoopbackTls, loopback_tls
from tui.core.errors import ProviderError
from tui.core.providers.rescale.credentials import ENV_VAR

JOBS = r"^jobs/$"


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    return API_KEY


@pytest.fixture
def tls_fake(tmp_path: Path) -> Iterator[tuple[FakeRescale, LoopbackTls]]:
    """The fake platform over real HTTPS, with a certificate only the test's client trusts."""
    tls = loopback_tls(tmp_path / "tls")
    fake = FakeRescale(tls=tls.server_context())
    fake.start()
    try:
        yield fake, tls
    finally:
        fake.stop()


async def test_paging_over_https_follows_https_links(
    tls_fake: tuple[FakeRescale, LoopbackTls], api_key: str
) -> None:
    fake, tls = tls_fake
    for n in range(5):
        fake.add_job(f"job-{n}", status="Completed")
    provider = make_provider(fake, page_size=2, transport=tls.client_transport())
    await provider.start()
    try:
        assert fake.base_url.startswith("https://")
        assert len(await provider.list_jobs()) == 5
        assert fake.seen("GET", JOBS) == 3
    finally:
        await provider.close()


async def test_a_next_page_downgraded_to_http_is_refused(
    tls_fake: tuple[FakeRescale, LoopbackTls], api_key: str
) -> None:
    fake, tls = tls_fake
    page = {
        "count": 2,
        "next": f"http://127.0.0.1:{fake.port}/api/v2/jobs/?page=2",
        "previous": None,
        "results": [{"id": "X1", "name": "x", "jobStatus": {"content": "Completed"}}],
    }
    fake.fail("GET", JOBS, 200, body=page)
    provider = make_provider(fake, transport=tls.client_transport())
    await provider.start()
    try:
        with pytest.raises(ProviderError, match=r"refusing to send the API key .*in clear"):
            await provider.list_jobs()
        assert fake.seen("GET", JOBS) == 1
    finally:
        await provider.close()
