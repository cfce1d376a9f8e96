"""Rescale JSON to models: states, dates, nodes (master first), the log's SSH line, details."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tui.core.models import Job, JobState, NodeState
from tui.core.providers.rescale.jobs import (
    build_job,
    build_nodes,
    job_details,
    job_state,
    newest_first,
    node_from_log,
    parse_date,
)


def entry(status: str, minute: int, reason: str | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "statusDate": f"2026-03-01T08:{minute:02d}:00.000000Z",
        "statusReason": reason,
    }


def item(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "AbCdE",
        "name": "cfd-wing",
        "owner": "ada@example.com",
        "dateInserted": "2026-03-01T07:59:00.123456Z",
        "jobStatus": {"content": "Executing"},
        "clusterStatusDisplay": {"content": "Started"},
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Pending", JobState.QUEUED),
        ("Queued", JobState.QUEUED),
        ("WAITING_FOR_QUEUE", JobState.QUEUED),
        ("Started", JobState.STARTING),
        ("Validated", JobState.STARTING),
        ("Waiting for Cluster", JobState.STARTING),
        ("EXECUTING", JobState.RUNNING),
        ("Stopping", JobState.STOPPING),
        ("Force Stop", JobState.STOPPED),
        ("Completed", JobState.COMPLETED),
        ("Teleporting", JobState.UNKNOWN),
        ("", JobState.UNKNOWN),
    ],
)
def test_every_documented_status_has_a_state(status: str, state: JobState) -> None:
    assert job_state(status) is state


@pytest.mark.parametrize(
    ("history", "state"),
    [
        ([entry("Completed", 9, "Completed successfully")], JobState.COMPLETED),
        ([entry("Completed", 9, None)], JobState.COMPLETED),
        ([entry("Completed", 9, "Exceeded max number of restarts")], JobState.FAILED),
        ([entry("Completed", 9), entry("Stopping", 8, "A run failed")], JobState.FAILED),
        ([entry("Completed", 9), entry("Stopping", 8, "User Terminated")], JobState.STOPPED),
        ([entry("Force Stop", 9)], JobState.STOPPED),
    ],
)
def test_completed_is_refined_by_the_reason(history: list[dict[str, Any]], state: JobState) -> None:
    assert job_state(str(history[0]["status"]), history) is state


def test_the_newest_history_entry_is_the_current_status() -> None:
    # the API sends newest first, but sorting by date is what counts
    history = newest_first(
        [entry("Queued", 2), entry("Executing", 5), entry("Pending", 1), entry("Validated", 4)]
    )
    job = build_job(item(jobStatus={"content": "Queued"}), history, provider="r")
    assert job.state is JobState.RUNNING
    assert job.status_detail == "Executing · cluster Started"
    assert job.started == datetime(2026, 3, 1, 8, 5, tzinfo=UTC)
    assert job.submitted == datetime(2026, 3, 1, 7, 59, 0, 123456, tzinfo=UTC)
    assert (job.id, job.name, job.owner, job.provider) == (
        "AbCdE",
        "cfd-wing",
        "ada@example.com",
        "r",
    )


def test_a_failed_job_shows_its_reason_and_end() -> None:
    history = newest_first(
        [entry("Executing", 1), entry("Stopping", 2, "A run failed"), entry("Completed", 3)]
    )
    job = build_job(item(clusterStatusDisplay={"content": "Stopped"}), history, provider="r")
    assert job.state is JobState.FAILED
    assert job.status_detail == "Completed · A run failed · cluster Stopped"
    assert job.ended == datetime(2026, 3, 1, 8, 3, tzinfo=UTC)


def test_without_history_the_list_status_is_used_and_waiting_is_said() -> None:
    job = build_job(
        item(
            jobStatus={"content": "Waiting for Cluster"},
            clusterStatusDisplay={"content": "Starting"},
        ),
        None,
        provider="r",
    )
    assert job.state is JobState.STARTING
    assert job.status_detail.endswith("cluster Starting · waiting for cluster")
    never = build_job(item(jobStatus={"content": ""}, clusterStatusDisplay={}), None, provider="r")
    assert never.state is JobState.UNKNOWN and never.status_detail == "not submitted"


def test_dates_with_offsets_and_junk() -> None:
    assert parse_date("2026-03-01T08:00:00+00:00") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert parse_date("yesterday") is None and parse_date(None) is None


def running(job_id: str = "AbCdE", state: JobState = JobState.RUNNING) -> Job:
    return Job(id=job_id, name="cfd-wing", state=state)


def test_nodes_put_the_master_first_with_ssh_details() -> None:
    instances: list[dict[str, object]] = [
        {"publicIp": "3.0.0.2", "username": "uprod_abcde", "sshPort": 22, "role": "MPI_SLAVE"},
        {"publicIp": "3.0.0.1", "username": "uprod_abcde", "sshPort": 32100, "role": "MPI_MASTER"},
        {"publicIp": "3.0.0.3", "username": "uprod_abcde", "role": "MPI_SLAVE"},
        {"publicIp": "", "role": "MPI_SLAVE"},  # not up yet: skipped
    ]
    nodes = build_nodes(running(), instances)
    assert [(n.name, n.role, n.host, n.port) for n in nodes] == [
        ("master", "master", "3.0.0.1", 32100),
        ("worker-1", "worker", "3.0.0.2", 22),
        ("worker-2", "worker", "3.0.0.3", 22),
    ]
    assert {n.user for n in nodes} == {"uprod_abcde"}
    assert {n.state for n in nodes} == {NodeState.RUNNING}


def test_a_single_instance_without_role_is_the_master() -> None:
    [node] = build_nodes(running(state=JobState.STARTING), [{"publicIp": "3.0.0.9"}])
    assert (node.role, node.state, node.user) == ("master", NodeState.STARTING, None)


@pytest.mark.parametrize(
    ("line", "user", "host", "port"),
    [
        ("12:01:07 SSH: uprod_qpWia@10.0.0.4 (port 22)", "uprod_qpWia", "10.0.0.4", 22),
        ("To connect: ssh -p 2222 uprod_sZSip@3.238.243.150", "uprod_sZSip", "3.238.243.150", 2222),
        ("ssh uprod_x@node.example.com", "uprod_x", "node.example.com", 22),
        ("12:01:07 SSH: uprod_y@10.0.0.5", "uprod_y", "10.0.0.5", 22),
        ("ssh to uprod_z@10.0.0.6:2200", "uprod_z", "10.0.0.6", 2200),
    ],
)
def test_the_ssh_line_in_the_log_gives_a_node(line: str, user: str, host: str, port: int) -> None:
    node = node_from_log(running(), ["starting", line, "iter 1 residual 3e-5"])
    assert node is not None
    assert (node.user, node.host, node.port, node.role) == (user, host, port, "master")


def test_no_ssh_line_no_node() -> None:
    assert node_from_log(running(), ["mail ada@example.com when done", "iter 3"]) is None


def test_details_show_cidr_public_key_and_port() -> None:
    detail = {
        "name": "cfd-wing",
        "cidrRule": "10.0.0.0/8,76.238.240.39/32",
        "publicKey": "ssh-rsa AAAAB3Nza ada@laptop\n",
        "sshPort": 32100,
        "jobanalyses": [
            {
                "analysis": {"name": "OpenFOAM", "versionName": "v2312"},
                "hardware": {"coreType": {"code": "emerald"}, "coresPerSlot": 36},
                "command": "simpleFoam",
            }
        ],
    }
    out = job_details(detail, running())
    assert out["Access restriction (CIDR)"] == "10.0.0.0/8,76.238.240.39/32"
    assert out["SSH public key"] == "ssh-rsa AAAAB3Nza ada@laptop"
    assert out["SSH port"] == "32100"
    assert out["Analysis"] == "OpenFOAM v2312" and out["Command"] == "simpleFoam"
    assert "emerald" in out["Hardware"]
    everywhere = job_details({"cidrRule": "0.0.0.0/0"}, running())
    assert everywhere["Access restriction (CIDR)"] == "0.0.0.0/0 (everywhere)"
    assert "SSH public key" not in everywhere


def test_two_masters_get_names_of_their_own() -> None:
    """Rows are keyed by node name: a second MPI_MASTER named "master" too would be hidden."""
    instances: list[dict[str, object]] = [
        {"publicIp": "3.0.0.1", "role": "MPI_MASTER"},
        {"publicIp": "3.0.0.2", "role": "MPI_MASTER"},
        {"publicIp": "3.0.0.3", "role": "MPI_SLAVE"},
    ]
    nodes = build_nodes(running(), instances)
    assert [(n.name, n.role, n.host) for n in nodes] == [
        ("master", "master", "3.0.0.1"),
        ("master-1", "master", "3.0.0.2"),
        ("worker-2", "worker", "3.0.0.3"),
    ]
