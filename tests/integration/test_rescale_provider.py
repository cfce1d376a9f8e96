"""Jobs, nodes, live logs, details and stop through the Rescale provider on the fake platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fake_rescale import API_KEY, FakeRescale, running_fake
from tests.fake_rescale.helpers import LogReader, job_named, make_provider
from tui.core.errors import ProviderError, ProviderUnavailable
from tui.core.models import JobState, NodeState, SshTarget
from tui.core.providers.rescale.api import RescaleNotFound
from tui.core.providers.rescale.credentials import ENV_VAR
from tui.core.providers.rescale.provider import RescaleProvider


@pytest.fixture
def fake() -> Iterator[FakeRescale]:
    with running_fake() as server:
        yield server


@pytest.fixture
async def provider(
    fake: FakeRescale, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[RescaleProvider]:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    provider = make_provider(fake, ssh_key=tmp_path / "id_rescale")
    await provider.start()
    yield provider
    await provider.close()


def master(ip: str = "3.0.0.1", port: int = 22) -> dict[str, object]:
    return {
        "publicIp": ip,
        "username": "uprod_qpWia",
        "sshPort": port,
        "role": "MPI_MASTER",
        "clusterId": "c1",
    }


# --- jobs --------------------------------------------------------------------------------------


async def test_jobs_active_first_with_states_reasons_and_owner(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("done-ok", status="Completed", reason="Completed successfully")
    fake.add_job("done-bad", status="Completed", reason="Exceeded max number of restarts")
    fake.add_job("queued", status="Queued")
    fake.add_job("stop-then-done", history=("Pending", "Executing", "Stopping", "Completed"))
    fake.set_status(fake.add_job("cfd", owner="bob@example.com").id, "Executing")
    fake.add_job("waiting", status="Waiting for Cluster")
    fake.add_job("draft", status="")
    jobs = await provider.list_jobs()
    assert [(j.name, j.state) for j in jobs] == [
        ("waiting", JobState.STARTING),
        ("cfd", JobState.RUNNING),
        ("queued", JobState.QUEUED),
        ("draft", JobState.UNKNOWN),
        ("stop-then-done", JobState.COMPLETED),
        ("done-bad", JobState.FAILED),
        ("done-ok", JobState.COMPLETED),
    ]
    by_name = {j.name: j for j in jobs}
    assert by_name["cfd"].owner == "bob@example.com"
    assert by_name["cfd"].started is not None and by_name["cfd"].ended is None
    assert by_name["done-bad"].status_detail.startswith("Completed · Exceeded max number")
    assert by_name["done-ok"].ended is not None
    assert "waiting for cluster" in by_name["waiting"].status_detail
    assert {j.provider for j in jobs} == {"rescale-test"}


async def test_a_user_stop_reads_as_stopped(fake: FakeRescale, provider: RescaleProvider) -> None:
    job = fake.add_job("cfd")
    fake.set_status(job.id, "Stopping", "User Terminated")
    fake.set_status(job.id, "Completed")
    assert (await job_named(provider, "cfd")).state is JobState.STOPPED


async def test_finished_histories_are_fetched_once_active_ones_every_poll(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    done = fake.add_job("done", status="Completed")
    live = fake.add_job("live")
    await provider.list_jobs()
    await provider.list_jobs()
    assert fake.seen("GET", rf"^jobs/{done.id}/statuses/$") == 1
    assert fake.seen("GET", rf"^jobs/{live.id}/statuses/$") == 2


async def test_a_job_that_just_finished_shows_why(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd")
    assert (await job_named(provider, "cfd")).state is JobState.RUNNING
    fake.set_status(job.id, "Stopping", "A run failed")
    fake.set_status(job.id, "Completed")
    done = await job_named(provider, "cfd")
    assert done.state is JobState.FAILED and "A run failed" in done.status_detail
    fake.fail("GET", rf"^jobs/{job.id}/statuses/$", 504, times=10)  # known to happen
    assert (await job_named(provider, "cfd")).state is JobState.FAILED


async def test_poll_interval_spares_the_api_until_invalidated(
    fake: FakeRescale, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, API_KEY)
    fake.add_job("a")
    provider = make_provider(fake, poll_interval=60)
    await provider.start()
    await provider.list_jobs()
    await provider.list_jobs()
    assert fake.seen("GET", r"^jobs/$") == 1
    provider.invalidate()
    await provider.list_jobs()
    assert fake.seen("GET", r"^jobs/$") == 2
    await provider.close()


async def test_job_details_carry_cidr_and_ssh_key(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("cfd", cidr_rule="203.0.113.7/32", ssh_port=32100)
    details = await provider.job_details(await job_named(provider, "cfd"))
    assert details["Access restriction (CIDR)"] == "203.0.113.7/32"
    assert details["SSH public key"].startswith("ssh-ed25519 AAAA")
    assert details["SSH port"] == "32100"
    fake.add_job("plain", cidr_rule=None, public_key=None)
    plain = await provider.job_details(await job_named(provider, "plain"))
    assert "Access restriction (CIDR)" not in plain and "SSH public key" not in plain


async def test_stop_job_posts_once_and_the_job_shows_stopping(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd")
    await provider.stop_job(await job_named(provider, "cfd"))
    assert fake.seen("POST", rf"^jobs/{job.id}/stop/$") == 1
    assert (await job_named(provider, "cfd")).state is JobState.STOPPING


async def test_stopping_a_completed_job_says_why(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("done", status="Completed")
    listed = await job_named(provider, "done")
    with pytest.raises(ProviderError, match="already completed"):
        await provider.stop_job(listed)


# --- nodes -------------------------------------------------------------------------------------


async def test_nodes_master_first_with_ssh_user_and_port(
    fake: FakeRescale, provider: RescaleProvider, tmp_path: Path
) -> None:
    worker = {**master("3.0.0.2", 32100), "role": "MPI_SLAVE"}
    fake.add_job("cfd", instances=[worker, master("3.0.0.1", 32100)])
    job = await job_named(provider, "cfd")
    nodes = await provider.list_nodes(job)
    assert [(n.name, n.host, n.port, n.user) for n in nodes] == [
        ("master", "3.0.0.1", 32100, "uprod_qpWia"),
        ("worker-1", "3.0.0.2", 32100, "uprod_qpWia"),
    ]
    assert provider.ssh_target(nodes[0]) == SshTarget(
        "3.0.0.1", 32100, "uprod_qpWia", tmp_path / "id_rescale"
    )
    assert (await job_named(provider, "cfd")).node_count == 2


async def test_waiting_for_cluster_has_no_nodes_yet(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", status="Waiting for Cluster")
    fake.fail("GET", rf"^jobs/{job.id}/instances/$", 404)  # no cluster record yet
    listed = await job_named(provider, "cfd")
    assert await provider.list_nodes(listed) == []
    assert "waiting for cluster" in listed.status_detail
    fake.set_status(job.id, "Executing")
    fake.set_instances(job.id, [master()])
    nodes = await provider.list_nodes(await job_named(provider, "cfd"))
    assert [(n.host, n.state) for n in nodes] == [("3.0.0.1", NodeState.RUNNING)]


async def test_without_instances_the_log_ssh_line_gives_the_node(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("cfd", log=["Starting", "SSH: uprod_AbCdE@52.1.2.3 (port 2222)", "iter 1"])
    [node] = await provider.list_nodes(await job_named(provider, "cfd"))
    assert (node.user, node.host, node.port, node.role) == (
        "uprod_AbCdE",
        "52.1.2.3",
        2222,
        "master",
    )


async def test_node_list_failure_after_data_is_stale(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", instances=[master()])
    listed = await job_named(provider, "cfd")
    assert len(await provider.list_nodes(listed)) == 1
    fake.fail("GET", rf"^jobs/{job.id}/instances/$", 500, times=10)
    with pytest.raises(ProviderUnavailable, match=r"Showing the node list of cfd from \d+ s ago"):
        await provider.list_nodes(listed)


async def test_a_job_deleted_while_shown(fake: FakeRescale, provider: RescaleProvider) -> None:
    job = fake.add_job("cfd", instances=[master()], log=["iter 1"])
    fake.add_job("other")
    listed = await job_named(provider, "cfd")
    await provider.list_nodes(listed)
    fake.delete_job(job.id)
    with pytest.raises(RescaleNotFound, match=r"job cfd \(\w+\) no longer exists on Rescale"):
        await provider.list_nodes(listed)
    with pytest.raises(RescaleNotFound, match="no longer exists"):
        await provider.job_details(listed)
    with pytest.raises(RescaleNotFound, match="no longer exists"):
        await LogReader(provider.stream_log(listed)).until(lambda r: r.lines)
    assert [j.name for j in await provider.list_jobs()] == ["other"]


# --- logs --------------------------------------------------------------------------------------


async def test_live_log_appends_only_new_lines_with_repeats(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", log=["start", "tick", "tick"])
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: len(r.lines) == 3)
    expected = ["start", "tick", "tick"]
    for burst in (["tick"] * 5, ["tick", "step 2", "tick"], ["tick"] * 3, ["done"]):
        fake.append_log(job.id, *burst)
        expected += burst
        want = len(expected)
        await reader.until(lambda r: len(r.lines) >= want)  # noqa: B023 - awaited right here
    assert reader.lines == expected
    fake.complete(job.id)
    await reader.to_end()
    assert reader.lines == expected and reader.notes == []
    await reader.close()


async def test_a_line_being_written_is_held_back_until_complete(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", log=["one"])
    fake.write_partial(job.id, "tw")
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: r.lines == ["one"])
    fake.write_partial(job.id, "o halves")
    fake.append_log(job.id, "", "three")
    await reader.until(lambda r: len(r.lines) >= 3)
    assert reader.lines == ["one", "two halves", "three"]
    await reader.close()


async def test_log_waits_for_execution_without_calling_tail(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", status="Queued")
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: r.notes)
    assert reader.notes == ["waiting for the job to start executing (status: Queued)"]
    assert fake.seen("GET", "/tail/") == 0
    fake.set_status(job.id, "Executing")
    fake.append_log(job.id, "iter 1")
    await reader.until(lambda r: r.lines == ["iter 1"])
    assert len(reader.notes) == 1  # the waiting note was said once
    await reader.close()


async def test_a_404_tail_while_executing_is_a_note_not_an_error(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", log=["iter 1"])
    fake.fail("GET", "/tail/", 404, times=2)
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: r.lines == ["iter 1"])
    assert reader.notes == ["no live output yet (process_output.log not there; status: Executing)"]
    assert fake.seen("GET", "/tail/") >= 3
    assert fake.seen("GET", rf"^jobs/{job.id}/runs/$") >= 2  # the run is looked up again
    await reader.close()


async def test_transient_poll_failures_are_notes_and_polling_goes_on(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", log=["a"])
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: r.lines == ["a"])
    fake.fail("GET", rf"^jobs/{job.id}/statuses/$", 503, times=8)
    await reader.until(lambda r: r.notes)
    assert reader.notes[0].startswith("log poll failed: Rescale had a server error")
    fake.append_log(job.id, "b")
    await reader.until(lambda r: r.lines == ["a", "b"])
    await reader.close()


async def test_switching_away_and_back_never_duplicates(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    job = fake.add_job("cfd", log=[f"iter {i}" for i in range(5)])
    listed = await job_named(provider, "cfd")
    first = LogReader(provider.stream_log(listed))
    await first.until(lambda r: len(r.lines) == 5)
    await first.close()
    fake.append_log(job.id, "iter 5", "iter 5", "iter 6")
    again = LogReader(provider.stream_log(listed))  # from 0: replayed from memory, then new
    await again.until(lambda r: len(r.lines) >= 8)
    assert again.lines == [f"iter {i}" for i in range(5)] + ["iter 5", "iter 5", "iter 6"]
    await again.close()
    fake.append_log(job.id, "iter 7")
    resumed = LogReader(provider.stream_log(listed, offset=again.offset))
    resumed.offset = again.offset
    await resumed.until(lambda r: r.lines)
    assert resumed.lines == ["iter 7"]
    fake.complete(job.id)
    await resumed.to_end()
    assert resumed.lines == ["iter 7"]
    await resumed.close()


async def test_a_log_rolling_past_the_window_is_a_gap_note_then_the_stored_end(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    # tail_lines=20 in tests, so the widest window is 320 lines
    job = fake.add_job("cfd", log=[f"iter {i}" for i in range(10)])
    listed = await job_named(provider, "cfd")
    first = LogReader(provider.stream_log(listed))
    await first.until(lambda r: len(r.lines) == 10)
    await first.close()
    fake.append_log(job.id, *[f"iter {i}" for i in range(10, 1000)])
    back = LogReader(provider.stream_log(listed, offset=10))
    back.offset = 10
    await back.until(lambda r: r.lines and r.lines[-1] == "iter 999")
    assert back.notes and back.notes[0].startswith("gap: the log grew by more than 320 lines")
    assert back.lines == [f"iter {i}" for i in range(680, 1000)]
    fake.append_log(job.id, "iter 1000")
    fake.complete(job.id)
    await back.to_end()
    assert back.lines[-2:] == ["iter 999", "iter 1000"]
    assert "missed some lines" in back.notes[-1]
    await back.close()
    # coming back once more from the start replays the same lines and notes, nothing twice
    replay = LogReader(provider.stream_log(listed))
    await replay.to_end()
    assert replay.lines == first.lines + back.lines
    assert replay.notes == back.notes
    await replay.close()


async def test_a_finished_job_reads_the_stored_file(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    lines = [f"line {i}" for i in range(4500)]  # more than one batch
    job = fake.add_job("old", status="Completed", log=lines)
    fake.world.jobs[job.id].stored = False
    reader = LogReader(provider.stream_log(await job_named(provider, "old")))
    await reader.until(lambda r: r.notes)
    assert "waiting for its stored process_output.log" in reader.notes[0]
    fake.upload(job.id)
    await reader.to_end()
    assert reader.lines == lines and fake.seen("GET", "/tail/") == 0
    await reader.close()


async def test_closing_the_provider_ends_a_waiting_stream(
    fake: FakeRescale, provider: RescaleProvider
) -> None:
    fake.add_job("cfd", status="Queued")
    reader = LogReader(provider.stream_log(await job_named(provider, "cfd")))
    await reader.until(lambda r: r.notes)
    await provider.close()
    with pytest.raises(ProviderError, match="stopped"):
        await reader.until(lambda r: False)
    with pytest.raises(ProviderError, match="was closed"):
        await provider.list_jobs()
