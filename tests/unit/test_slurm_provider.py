"""SlurmProvider logic over canned command output (the real thing: tests/integration)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit import slurm_text
from tui.app.factory import build_provider
from tui.core.clock import ManualClock
from tui.core.config.check import check_text
from tui.core.config.settings import load_settings
from tui.core.errors import (
    ConfigError,
    ProviderError,
    ProviderUnavailable,
    SshAuthError,
    SshDisconnected,
    SshUnreachable,
)
from tui.core.models import Job, JobState, LogBatch, Node, NodeState, SshTarget
from tui.core.providers.base import Capability, ProviderContext, provider_class
from tui.core.providers.slurm.provider import SlurmProvider
from tui.core.providers.slurm.shell import NodeAccessDenied, node_access_error
from tui.core.providers.slurm.view import format_left
from tui.core.ssh.session import RunResult

DATA = Path(__file__).parent.parent / "data" / "slurm"
STARTED = datetime.fromtimestamp(1795554469, UTC)

Reply = tuple[int, str, str]


class CannedPool:
    """Answers commands by their first word; records what was run."""

    def __init__(self, answers: dict[str, Reply | Callable[[], Reply]]) -> None:
        self.answers = answers
        self.commands: list[str] = []

    async def run(
        self,
        target: SshTarget,
        command: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - SshPool.run's signature
    ) -> RunResult[str]:
        self.commands.append(command)
        words = [w for w in command.split() if w != "env" and "=" not in w]
        program = words[0].rsplit("/", 1)[-1]
        answer = self.answers[program]
        reply = answer() if callable(answer) else answer
        if program == "squeue" and reply[0] == 0 and reply[1].lstrip().startswith("{"):
            reply = slurm_text.answer(reply[1], command)  # JSON fixture -> the text form
        return RunResult(*reply)

    async def close(self) -> None:
        pass


def canned(squeue: str = "squeue-23.11.json", sinfo: str = "sinfo-23.11.json") -> CannedPool:
    return CannedPool(
        {
            "squeue": (0, (DATA / squeue).read_text(), ""),
            "sinfo": (0, (DATA / sinfo).read_text(), ""),
            "id": (0, "alice\n", ""),
            "scancel": (0, "", ""),
            "sacct": (0, '{"meta": {}, "errors": [], "jobs": []}', ""),
            "sstat": (0, "", ""),
            "if": (78, "", ""),  # the log probe: the output file does not exist (yet)
        }
    )


async def first_log_batch(slurm: SlurmProvider, job: Job) -> LogBatch:
    stream = slurm.stream_log(job)
    try:
        return await anext(stream)
    finally:
        await stream.aclose()


def provider(pool: CannedPool, clock: ManualClock | None = None, **options: Any) -> SlurmProvider:
    return SlurmProvider("hpc", host="login.example", clock=clock, pool=pool, **options)  # type: ignore[arg-type]


def test_registered_with_options_and_capabilities(tmp_path: Path) -> None:
    assert provider_class("slurm") is SlurmProvider
    assert set(SlurmProvider.OPTIONS) == {
        "host", "ssh_alias", "user", "port", "key", "all_users", "poll_interval", "node_port",
        "bin_dir", "node_shell", "history_days",
    }  # fmt: skip
    assert SlurmProvider.capabilities == set(Capability)
    context = ProviderContext(tmp_path, tmp_path / "known_hosts", ManualClock(), name="hpc")
    key = tmp_path / "id_hpc"
    key.write_text("key")  # a key file that does not exist is a config error
    made = SlurmProvider.create({"ssh_alias": "mycluster", "key": str(key)}, context)
    assert made.name == "hpc"
    assert made.login == SshTarget("mycluster", 22, None, key)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give either `host` or `ssh_alias` (not both)"),
        ({"host": "a", "ssh_alias": "b"}, "give either `host` or `ssh_alias` (not both)"),
        ({"host": "a", "port": 0}, "`port` must be from 1 to 65535 (got 0)"),
        ({"host": "a", "poll_interval": 0}, "`poll_interval` must be positive"),
        (
            {"host": "a", "history_days": 400},
            "`history_days` must be from 0 (no finished jobs from sacct) to 365 (got 400)",
        ),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SlurmProvider("x", **options)
    assert caught.value.message == message  # the app adds `[providers.x]`, file and line


def test_a_bad_slurm_section_is_named_once(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[providers.hpc]\ntype = "slurm"\nhost = "a"\nssh_alias = "b"\n')
    settings = load_settings(path, state_dir=tmp_path / "state")
    with pytest.raises(ConfigError) as caught:
        build_provider(settings, settings.providers[0], ManualClock())
    expected = "[providers.hpc] give either `host` or `ssh_alias` (not both)"
    assert str(caught.value) == f"{path}:3: {expected}"  # the key, as `config check` says
    [problem] = check_text(path.read_text(), "c.toml", state_dir=tmp_path).problems
    assert str(problem) == f"c.toml:3: {expected}"


async def test_jobs_are_filtered_to_the_login_user_with_details() -> None:
    clock = ManualClock(STARTED + timedelta(minutes=50))
    pool = canned()
    slurm = provider(pool, clock)
    jobs = {job.id: job for job in await slurm.list_jobs()}
    version, listing, *rest = pool.commands
    assert version == "squeue --version" and rest == ["id -un"]
    assert listing.startswith("env SLURM_TIME_FORMAT=%s squeue --me --noheader --states=all ")
    assert "--json" not in listing
    assert "108" not in jobs  # bob's
    assert list(jobs)[:2] == ["107", "102"]  # active first, newest first
    run = jobs["101"]
    assert run.state is JobState.RUNNING and run.node_count == 3
    assert run.status_detail == "cn[001-002,010] · 10 min left"
    assert slurm.time_left(run) == timedelta(minutes=10)
    assert slurm.time_warning(run) is None  # exactly 10 min: no warning yet
    clock.advance(3 * 60 + 20)
    assert slurm.time_warning(run) == "6 min left"
    clock.advance(8 * 60)
    assert slurm.time_left(run) == timedelta(0) and slurm.time_warning(run) == "0 s left"
    assert jobs["102"].status_detail == "pending: Priority"
    assert slurm.time_left(jobs["102"]) is None
    assert jobs["103"].status_detail == "failed · exit 3 · ran 0:10"  # how long it ran, too
    assert jobs["104"].status_detail.startswith("failed · killed by SIGKILL (9) · ran ")
    assert jobs["105"].status_detail.startswith("cancelled") and jobs["105"].ended is not None
    waiting = await first_log_batch(slurm, jobs["101"])
    assert waiting.notes == ("waiting for /home/alice/run/cfd-wing-101.out to appear",)
    waiting = await first_log_batch(slurm, jobs["107"])
    assert waiting.notes == ("waiting for /home/alice/run/sweep-106_1.out to appear",)
    assert slurm.banner() == "Slurm 23.11.4 via login.example"


async def test_all_users_and_bin_dir() -> None:
    pool = canned()
    slurm = provider(pool, all_users=True, bin_dir="/opt/slurm/bin/")
    jobs = {job.id: job for job in await slurm.list_jobs()}
    assert jobs["108"].owner == "bob"
    assert pool.commands[0] == "/opt/slurm/bin/squeue --version"
    assert pool.commands[1].startswith("env SLURM_TIME_FORMAT=%s /opt/slurm/bin/squeue --noheader")
    assert len(pool.commands) == 2


async def test_nodes_come_from_sinfo_and_go_through_the_login_host(tmp_path: Path) -> None:
    pool = canned()
    (tmp_path / "k").write_text("key")
    slurm = provider(pool, node_port=2222, key=str(tmp_path / "k"))
    job = next(j for j in await slurm.list_jobs() if j.id == "101")
    nodes = await slurm.list_nodes(job)
    assert [(n.name, n.host, n.role) for n in nodes] == [
        ("cn001", "10.1.0.1", "batch"),
        ("cn002", "10.1.0.2", "compute"),
        ("cn010", "10.1.0.10", "compute"),
    ]
    assert [n.state for n in nodes] == [NodeState.RUNNING, NodeState.RUNNING, NodeState.DOWN]
    assert nodes[0].load == 31.5 and nodes[0].cores == 64 and nodes[0].user == "alice"
    target = slurm.ssh_target(nodes[0])
    assert target == SshTarget("10.1.0.1", 2222, "alice", tmp_path / "k", jump=slurm.login)
    assert slurm.login == SshTarget("login.example", 22, None, tmp_path / "k")


async def test_22_05_nodes_and_node_list_of_a_cancelled_job() -> None:
    pool = canned("squeue-22.05.json", "sinfo-22.05.json")
    pool.answers["id"] = (0, "slurmtest\n", "")
    slurm = provider(pool)
    jobs = {job.name: job for job in await slurm.list_jobs()}
    nodes = await slurm.list_nodes(jobs["tocancel"])
    assert [(n.name, n.state) for n in nodes] == [("node04", NodeState.STOPPED)]
    assert jobs["bad"].status_detail.startswith("failed · exit 3 · ran ")
    ended = await first_log_batch(slurm, jobs["bad"])
    assert ended.finished and f"/bad-{jobs['bad'].id}.out does not exist: " in ended.notes[-1]


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        ((127, "", "bash: squeue: command not found"), ProviderUnavailable, "not found"),
        (
            (1, "", "squeue: error: Unable to contact slurm controller"),
            ProviderUnavailable,
            "slurmctld",
        ),
        ((2, "", "boom"), ProviderError, r"exit 2\): boom"),
    ],
)
async def test_command_failures(reply: Reply, error: type[Exception], match: str) -> None:
    pool = canned()
    pool.answers["squeue"] = reply
    with pytest.raises(error, match=match):
        await provider(pool).list_jobs()


async def test_an_errors_list_means_the_controller_is_down_not_no_jobs() -> None:
    pool = canned(squeue="squeue-22.05-controller-down.json")  # squeue then exits 1
    with pytest.raises(ProviderUnavailable, match="slurmctld"):
        await provider(pool).list_jobs()


async def test_sinfo_without_json_is_too_old() -> None:
    pool = canned()
    pool.answers["sinfo"] = (1, "", "sinfo: unrecognized option '--json'")
    slurm = provider(pool)
    job = next(j for j in await slurm.list_jobs() if j.id == "101")
    with pytest.raises(ProviderError, match="too old for `sinfo --json`"):
        await slurm.list_nodes(job)


async def test_unreachable_login_host_is_provider_unavailable() -> None:
    def refuse() -> Reply:
        raise SshUnreachable("connection refused by login.example:22")

    pool = canned()
    pool.answers["squeue"] = refuse
    with pytest.raises(ProviderUnavailable, match="cannot reach the Slurm login host") as info:
        await provider(pool).list_jobs()
    assert isinstance(info.value.__cause__, SshUnreachable)


async def test_stop_job_runs_scancel_once() -> None:
    pool = canned()
    slurm = provider(pool)
    job = next(j for j in await slurm.list_jobs() if j.id == "101")
    await slurm.stop_job(job)
    assert pool.commands[-1] == "scancel 101"
    pool.answers["scancel"] = (1, "", "scancel: error: Kill job error on job id 101: denied")
    with pytest.raises(ProviderError, match="denied") as info:
        await slurm.stop_job(job)
    assert info.value.title == "Cancel failed"
    assert pool.commands.count("scancel 101") == 2  # one call each, no retry


def test_node_refusals_are_explained() -> None:
    node = Node("42", "cn001", "batch", "10.1.0.1", 22, NodeState.STOPPED, user="alice")
    login = SshTarget("login.example")
    target = SshTarget("10.1.0.1", 22, "alice", jump=login)
    refused = node_access_error(node, target, SshAuthError("no key accepted"))
    assert isinstance(refused, NodeAccessDenied)
    assert "pam_slurm_adopt" in refused.message and "job 42" in refused.message
    assert "no key accepted" in refused.message
    hung_up = node_access_error(node, target, SshDisconnected("closed during setup"))
    assert isinstance(hung_up, NodeAccessDenied)
    far = node_access_error(node, target, SshUnreachable("jump host could not connect"))
    assert isinstance(far, SshUnreachable) and "login.example" in far.message
    other = ProviderError("something else")
    assert node_access_error(node, target, other) is other


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(7500, "2 h 05 min left"), (600, "10 min left"), (59, "59 s left"), (0, "0 s left")],
)
def test_format_left(seconds: int, text: str) -> None:
    assert format_left(timedelta(seconds=seconds)) == text
