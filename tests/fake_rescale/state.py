"""What the fake Rescale platform knows: jobs, their statuses, instances, logs, files and faults."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fake_rescale.faults import StreamedBody

HAPPY_PATH = ("Pending", "Queued", "Started", "Validated", "Executing")
EPOCH = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


def iso(when: datetime) -> str:
    """Rescale's date format: microseconds and a `Z`."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeJob:
    """One job on the fake platform. Mutate it through `FakeRescale` methods (they lock)."""

    id: str
    name: str
    owner: str
    inserted: datetime
    statuses: list[dict[str, Any]] = field(default_factory=list)
    """Oldest first (the API answers newest first)."""
    cluster_status: str = ""
    instances: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    """Complete lines of process_output.log, without newlines."""
    partial: str = ""
    """A last line still being written (no newline yet)."""
    stored: bool = False
    """process_output.log was uploaded (readable through files/)."""
    cidr_rule: str | None = "0.0.0.0/0"
    public_key: str | None = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ada@laptop"
    ssh_port: int = 22
    command: str = "./run_solver.sh"
    outputs: dict[str, bytes] = field(default_factory=dict)
    """Output files by relative path: live in the run's directory while it executes, stored
    (listed by `files/`, downloadable by id) once the job is stored."""
    checksums: bool = True
    """Stored files carry `fileChecksums` (SHA-256)."""

    @property
    def status(self) -> str:
        """The current (newest) status, "" when never submitted."""
        return str(self.statuses[-1]["status"]) if self.statuses else ""

    def list_item(self) -> dict[str, Any]:
        """`GET jobs/` result shape (reference 5.1)."""
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "dateInserted": iso(self.inserted),
            "jobStatus": {"content": self.status, "labelClass": "info", "useLabel": True},
            "clusterStatusDisplay": {
                "content": self.cluster_status,
                "labelClass": "",
                "useLabel": bool(self.cluster_status),
            },
            "analysisNames": ["User Included (Generic)"],
            "sharedWith": [],
            "isVisible": True,
            "storage": 1024,
        }

    def detail(self) -> dict[str, Any]:
        """`GET jobs/{id}/` shape (reference 5.2), without the current status."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "description": "",
            "isLowPriority": False,
            "sshPort": self.ssh_port,
            "jobanalyses": [
                {
                    "analysis": {
                        "code": "user_included",
                        "name": "Bring Your Own Software",
                        "version": "0",
                        "versionName": "0",
                    },
                    "command": self.command,
                    "envVars": {},
                    "hardware": {"coreType": "emerald", "coresPerSlot": 36, "slots": 1},
                    "inputFiles": [],
                }
            ],
        }
        if self.cidr_rule is not None:
            body["cidrRule"] = self.cidr_rule
        if self.public_key is not None:
            body["publicKey"] = self.public_key
        return body

    def runs(self) -> list[dict[str, Any]]:
        """One run "1", started once the job executes, completed when it completes."""
        started = next((s["statusDate"] for s in self.statuses if s["status"] == "Executing"), None)
        done = next((s["statusDate"] for s in self.statuses if s["status"] == "Completed"), None)
        return [
            {
                "id": "1",
                "displayOrder": 0,
                "dateStarted": started,
                "dateCompleted": done,
                "isOptimal": False,
                "outputFileCount": 1 if self.stored else 0,
                "outputFileSize": 0,
                "parent": None,
                "type": 3,
                "variables": [],
            }
        ]

    def output_items(self) -> list[dict[str, Any]]:
        """`outputs` as stored file objects (reference 5.7)."""
        items = []
        for index, (rel, data) in enumerate(sorted(self.outputs.items())):
            item: dict[str, Any] = {
                "id": f"O{self.id}n{index}",
                "name": rel.rsplit("/", 1)[-1],
                "typeId": 5,
                "relativePath": rel,
                "path": f"user/user_ada/output/job_{self.id}/run1/{rel}",
                "isUploaded": True,
                "isDeleted": False,
                "decryptedSize": len(data),
            }
            if self.checksums:
                digest = hashlib.sha256(data).hexdigest()
                item["fileChecksums"] = [{"hashFunction": "sha256", "fileHash": digest}]
            items.append(item)
        return items

    def files(self) -> list[dict[str, Any]]:
        """The stored output files (process_output.log and `outputs`, once uploaded)."""
        if not self.stored:
            return []
        return [
            *self.output_items(),
            {
                "id": f"F{self.id}",
                "name": "process_output.log",
                "typeId": 5,
                "relativePath": "process_output.log",
                "path": f"user/user_ada/output/job_{self.id}/run1/process_output.log",
                "isUploaded": True,
                "isDeleted": False,
                "decryptedSize": sum(len(line) + 1 for line in self.log),
            },
        ]


@dataclass
class Fault:
    """A scripted answer for requests matching `method` and the `path` regex."""

    method: str
    path: re.Pattern[str]
    status: int | None
    times: int
    headers: dict[str, str]
    body: bytes | StreamedBody | None
    delay: float


@dataclass
class SeenRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


class World:
    """The fake platform's state, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.jobs: dict[str, FakeJob] = {}
        self.faults: list[Fault] = []
        self.requests: list[SeenRequest] = []
        self.user = {
            "email": "ada@example.com",
            "fullName": "Ada Lovelace",
            "company": {"code": "analytical"},
        }
        self.tail_newlines = True
        self.uploads: dict[str, tuple[str, bytes]] = {}
        """Files uploaded with `POST files/contents/`, by id: (name, bytes)."""
        self._tick = 0

    def now(self) -> datetime:
        """A fake clock: one minute later on every call."""
        self._tick += 1
        return EPOCH + timedelta(minutes=self._tick)
