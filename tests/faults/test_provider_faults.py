"""Provider faults in the whole app: the Rescale API on loopback misbehaving, Slurm's controller
and login host going away.

Each fault must leave the dashboard's jobs pane stale, not empty and not hung: the rows shown
before stay, the pane gets the `-error` class and the reason as its border subtitle, and a
notification says what failed. Once the fault is removed the pane recovers by itself at a later
poll. What the pane does *not* show today is the age of the stale rows: Rescale puts it in the
notification ("Showing the job list from 3 s ago (stale)"), Slurm nowhere (see
`test_a_stale_jobs_pane_shows_its_age`).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import wait_until
from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tests.faults.faults import FULL, MB, NOTICE, RECOVER, Timeline
from tests.faults.relay import TcpRelay
from tests.integration.slurm_cluster import SlurmCluster
from tests.integration.slurm_fixtures import slurm_cluster_fixture  # noqa: F401 - fixture
from tui.app.app import ClusterdeckApp
from tui.app.factory import make_app
from tui.core.clock import SystemClock
from tui.core.config.providers import ProviderConfig
from tui.core.config.settings import Settings
from tui.core.providers.rescale.credentials import ENV_VAR
from widgets.log.view import LogView
from widgets.tables.job import JobTable

HUGE_BYTES = (256 if FULL else 24) * MB
"""The size of the huge answer."""
POLL = 0.3
"""The app's poll interval in these tests."""
TIMEOUT = 1
"""The Rescale provider's `timeout` (seconds per request; 1 is the smallest allowed)."""


def settings_for(state: Path, provider: ProviderConfig) -> Settings:
    state.mkdir(parents=True, exist_ok=True)
    return Settings(
        state_dir=state,
        providers=(provider,),
        poll_interval=POLL,
        config_path=state / "config.toml",
    )


@dataclass
class Pane:
    """The jobs pane of a running app, read the way a user would."""

    app: ClusterdeckApp

    @property
    def table(self) -> JobTable:
        return self.app.main_screen.query_one(JobTable)

    @property
    def stale(self) -> bool:
        return self.table.has_class("-error")

    @property
    def reason(self) -> str:
        """The failure's title, without the age of the data (`subtitle` has both); "" when
        the pane is fresh (its subtitle is then the poll status, `poll 2s · answer ...`)."""
        if not self.stale and self.subtitle.startswith("poll "):
            return ""
        return self.subtitle.split(" · ")[0]

    @property
    def subtitle(self) -> str:
        return str(self.table.border_subtitle or "")

    def notes(self, title: str) -> list[str]:
        return [n.message for n in self.app._notifications if n.title == title]


# --- Rescale -------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeRescale]:
    with running_fake() as server:
        server.add_job("cfd-wing", log=[f"iteration {i}" for i in range(20)])
        server.add_job("mesh-prep", status="Completed", log=["meshing", "done"])
        yield server


@pytest.fixture
async def front(fake: FakeRescale) -> AsyncIterator[TcpRelay]:
    """A relay in front of the fake API: the app talks to it (for socket-level faults)."""
    relay = TcpRelay(fake.port)
    await relay.start()
    yield relay
    await relay.close()


def clear_faults(fake: FakeRescale) -> None:
    with fake.world.lock:
        fake.world.faults.clear()


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An answer that starts at once and never ends: a byte every 0.2 s (under any read
    timeout)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
    )
    while True:
        await asyncio.sleep(0.2)  # the fault itself (a slow server), not a synchronisation
        writer.write(b" ")
        await writer.drain()


@dataclass(frozen=True)
class ApiFault:
    """How to break the fake API, the reason the pane must show, and words of the message."""

    name: str
    title: str
    message: str
    inject: Callable[[FakeRescale, TcpRelay], Awaitable[None]]
    heal: Callable[[FakeRescale, TcpRelay], Awaitable[None]]
    also: tuple[tuple[str, str], ...] = ()
    """Other acceptable (title, message) pairs."""


def scripted(status: int | None, **options: object) -> Callable[..., Awaitable[None]]:
    async def inject(fake: FakeRescale, relay: TcpRelay) -> None:
        fake.fail("GET", r"^jobs/$", status, times=10**6, **options)  # type: ignore[arg-type]

    return inject


async def cleared(fake: FakeRescale, relay: TcpRelay) -> None:
    clear_faults(fake)


async def network_down(fake: FakeRescale, relay: TcpRelay) -> None:
    await asyncio.to_thread(fake.stop)


async def network_back(fake: FakeRescale, relay: TcpRelay) -> None:
    await asyncio.to_thread(fake.start)


async def slow_body(fake: FakeRescale, relay: TcpRelay) -> None:
    relay.hijack(trickle)
    await relay.cut()  # the app's kept-alive connection goes; its next one is answered slowly


async def fast_again(fake: FakeRescale, relay: TcpRelay) -> None:
    relay.restore()


HTML = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
API_FAULTS = [
    ApiFault(
        "401", "Provider authentication failed", "rejected the API key", scripted(401), cleared
    ),
    ApiFault("403", "Not allowed on Rescale", "403", scripted(403), cleared),
    ApiFault(
        "429", "Rescale rate limit", "429", scripted(429, headers={"Retry-After": "1"}), cleared
    ),
    ApiFault("500", "Provider unavailable", "server error", scripted(500), cleared),
    ApiFault(
        "timeout",
        "Provider unavailable",
        f"did not answer /api/v2/jobs/ within {TIMEOUT} s",
        scripted(None, delay=TIMEOUT + 2),
        cleared,
    ),
    ApiFault(
        "slow-endless-body",
        "Provider unavailable",
        "did not answer /api/v2/jobs/ within",
        slow_body,
        fast_again,
    ),
    ApiFault(
        "html-body",
        "Provider error",
        "malformed JSON for /api/v2/jobs/ (Expecting value: line 1 column 1 (char 0); text/html",
        scripted(200, body=HTML, headers={"Content-Type": "text/html"}),
        cleared,
    ),
    ApiFault(
        "invalid-json",
        "Provider error",
        "malformed JSON for /api/v2/jobs/",
        scripted(200, body='{"count": 2, "next": null, "results": [{"id": "J0001x", "na'),
        cleared,
    ),
    ApiFault(
        "deeply-nested-json",
        "Provider error",
        "a malformed response for /api/v2/jobs/ (JSON nested too deeply",
        scripted(200, body=b"[" * 100_000),
        cleared,
    ),
    ApiFault(
        "huge-body",
        "Rescale answer too large",
        "/api/v2/jobs/ is larger than 16 MB",
        scripted(200, body=b"<html>" + b"x" * HUGE_BYTES),
        cleared,
    ),
    ApiFault(
        "network-down", "Provider unavailable", "cannot reach Rescale", network_down, network_back
    ),
]


@pytest.fixture
async def rescale_app(
    fake: FakeRescale, front: TcpRelay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[ClusterdeckApp, Pilot[None]]]:
    """The app on the Rescale provider (through `front`), with both jobs listed."""
    monkeypatch.setenv(ENV_VAR, API_KEY)
    options = {
        "base_url": f"http://127.0.0.1:{front.port}",
        "poll_interval": 0.0,
        "tail_interval": 1.0,
        "timeout": TIMEOUT,
        "retries": 0,
    }
    app = make_app(
        settings_for(tmp_path / "state", ProviderConfig("rescale", "rescale", options)),
        clock=SystemClock(),
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(
            lambda: len(Pane(app).table.row_keys) == 2,
            pause=pilot.pause,
            within=RECOVER,
            what="both jobs listed",
        )
        yield app, pilot


@pytest.mark.parametrize("api", API_FAULTS, ids=lambda f: f.name)
async def test_rescale_api_fault(
    api: ApiFault,
    fake: FakeRescale,
    front: TcpRelay,
    rescale_app: tuple[ClusterdeckApp, Pilot[None]],
    timeline: Timeline,
) -> None:
    app, pilot = rescale_app
    pane = Pane(app)
    rows = list(pane.table.row_keys)
    timeline.mark()
    await api.inject(fake, front)
    await timeline.reach(
        "jobs pane stale",
        lambda: pane.stale,
        within=NOTICE,
        pause=pilot.pause,
        detail=lambda: f"subtitle {pane.reason!r}",
    )
    accepted = dict([(api.title, api.message), *api.also])
    assert pane.reason in accepted
    assert list(pane.table.row_keys) == rows  # the rows shown before stay (stale, not emptied)

    def about_jobs() -> list[str]:  # (the nodes pane may go stale too, with its own note)
        return [m for m in pane.notes(pane.reason) if "Showing the job list from" in m]

    await wait_until(about_jobs, pause=pilot.pause, what="a notification about the jobs")
    message = about_jobs()[0]
    assert accepted[pane.reason] in message and "ago (stale)" in message, message
    assert API_KEY not in message
    await api.heal(fake, front)
    timeline.mark()
    await timeline.reach(
        "jobs pane fresh again",
        lambda: not pane.stale and pane.reason == "",
        within=RECOVER,
        pause=pilot.pause,
    )
    assert list(pane.table.row_keys) == rows
    assert app.is_running


async def test_a_stale_jobs_pane_shows_its_age(
    fake: FakeRescale, rescale_app: tuple[ClusterdeckApp, Pilot[None]]
) -> None:
    app, pilot = rescale_app
    pane = Pane(app)
    fake.fail("GET", r"^jobs/$", 500, times=10**6)
    await wait_until(lambda: pane.stale, pause=pilot.pause, within=NOTICE, what="stale pane")
    shown = pane.subtitle
    assert re.search(r"\d+ (s|min|h) ago", shown), shown


async def test_a_lasting_fault_is_notified_once(
    fake: FakeRescale, rescale_app: tuple[ClusterdeckApp, Pilot[None]]
) -> None:
    app, pilot = rescale_app
    pane = Pane(app)
    fake.fail("GET", r"^jobs/$", 500, times=10**6)
    polls = fake.seen("GET", r"^jobs/$")
    await wait_until(
        lambda: fake.seen("GET", r"^jobs/$") >= polls + 4,
        pause=pilot.pause,
        within=NOTICE,
        what="four failed polls",
    )
    await wait_until(lambda: pane.stale, pause=pilot.pause, within=NOTICE, what="stale pane")
    assert len(pane.notes("Provider unavailable")) == 1


# --- Slurm ---------------------------------------------------------------------------------

CONTROLLER_NOTICE = 30.0
"""`squeue` itself takes a few seconds (MessageTimeout) to give up on a missing slurmctld."""


@pytest.mark.slow
async def test_slurm_login_host_and_controller_down(
    slurm_cluster: SlurmCluster, tmp_path: Path, timeline: Timeline
) -> None:
    """The login sshd killed, then slurmctld stopped, under a job whose log is followed."""
    sshd = slurm_cluster.sshd
    assert sshd is not None
    stop = slurm_cluster.workdir / f"stop-{uuid.uuid4().hex[:8]}"
    script = (
        f'i=0; while [ ! -e {stop} ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done; '
        'echo "end after $i"'
    )
    job_id = slurm_cluster.sbatch("--job-name=faults-app", "--wrap", script)
    options = {
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": slurm_cluster.user,
        "key": str(sshd.client_key),
        "node_port": sshd.port,
        "poll_interval": 0.3,
    }
    settings = settings_for(tmp_path / "state", ProviderConfig("hpc", "slurm", options))
    sshd.write_known_hosts(settings.known_hosts_path)
    app = make_app(settings, clock=SystemClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            screen = app.main_screen
            pane = Pane(app)
            log = screen.query_one(LogView)
            log_pane = screen.query_one("#log-pane")
            await wait_until(
                lambda: (
                    pane.table.select_key(f"hpc:{job_id}")
                    and screen.selected is not None
                    and screen.selected.id == job_id
                    and screen.selected.state.value == "running"
                ),
                pause=pilot.pause,
                within=RECOVER * 2,
                what="the job running and selected",
            )
            await wait_until(
                lambda: log.line_count >= 5, pause=pilot.pause, within=RECOVER, what="log lines"
            )

            # The login host goes away: both panes say so, then come back by themselves.
            timeline.mark()
            await asyncio.to_thread(sshd.stop)
            await timeline.reach(
                "login host down: jobs pane stale",
                lambda: pane.stale,
                within=NOTICE,
                pause=pilot.pause,
                detail=lambda: f"subtitle {pane.reason!r}",
            )
            assert pane.reason == "Slurm login host unreachable"
            assert f"hpc:{job_id}" in pane.table.row_keys
            await timeline.reach(
                "login host down: log pane interrupted",
                lambda: log_pane.has_class("-error"),
                within=NOTICE,
                pause=pilot.pause,
                detail=lambda: f"subtitle {log_pane.border_subtitle!r}",
            )
            await asyncio.to_thread(sshd.start)
            timeline.mark()
            count = log.line_count
            await timeline.reach(
                "login host back: jobs pane fresh, log following",
                lambda: (
                    not pane.stale and not log_pane.has_class("-error") and log.line_count > count
                ),
                within=RECOVER * 2,  # the log retries with backoff (1 s, 2 s, ...)
                pause=pilot.pause,
            )

            # The controller goes away: the jobs pane goes stale, the log keeps following.
            timeline.mark()
            slurm_cluster.stop_controller()
            try:
                await timeline.reach(
                    "controller down: jobs pane stale",
                    lambda: pane.stale,
                    within=CONTROLLER_NOTICE,
                    pause=pilot.pause,
                    detail=lambda: f"subtitle {pane.reason!r}",
                )
                assert pane.reason == "Slurm controller unavailable"
                notes = pane.notes("Slurm controller unavailable")
                assert notes and "slurmctld" in notes[0], notes
                count = log.line_count
                await timeline.reach(
                    "controller down: log still following",
                    lambda: log.line_count > count + 5,
                    within=NOTICE,
                    pause=pilot.pause,
                )
                assert not log_pane.has_class("-error")
            finally:
                await asyncio.to_thread(slurm_cluster.start_controller)
            timeline.mark()
            await timeline.reach(
                "controller back: jobs pane fresh",
                lambda: not pane.stale,
                within=CONTROLLER_NOTICE,
                pause=pilot.pause,
            )

            stop.touch()
            await timeline.reach(
                "log complete",
                lambda: "(complete)" in str(log_pane.border_title),
                within=RECOVER * 2,
                pause=pilot.pause,
            )
            lines = log.tail(log.line_count)
            ticks = len(lines) - 1
            assert lines == [*(f"tick {i}" for i in range(1, ticks + 1)), f"end after {ticks}"]
    finally:
        if sshd.proc is None:
            sshd.start()
        if slurm_cluster.slurmctld is None:
            slurm_cluster.start_controller()
        stop.touch()
        slurm_cluster.as_user("scancel", job_id, check=False)
