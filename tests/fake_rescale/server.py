"""A real HTTP server on 127.0.0.1 speaking the documented Rescale API v2 (a test double).

    with running_fake() as fake:
        job = fake.add_job("cfd-wing", status="Executing", log=["iter 1"])
        fake.fail("GET", r"jobs/$", 429, headers={"Retry-After": "2"})   # next jobs/ call
        fake.stop(); fake.start()                                         # network down / back

Implements users/me, jobs (paged, newest first), job detail, statuses, cluster_statuses, runs,
instances, live tail (`?lines=N` JSON, or raw text without it; 404 unless executing), job files
(with `search`), files/{id}/lines and contents (with `Range`), a running run's
`directory-contents` (its output files so far), `POST files/contents/` (a multipart upload) and
POST stop (202). Paths without the trailing
slash answer 404, as a strict server would. Errors use DRF bodies (`{"detail": ...}`).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fake_rescale.faults import StreamedBody
from tests.fake_rescale.state import HAPPY_PATH, FakeJob, Fault, SeenRequest, World, iso

API_KEY = "fake-key-0123456789abcdef"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000

Answer = tuple[int, dict[str, str], bytes | StreamedBody]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    kind = {"Content-Type": "application/json", **(headers or {})}
    return status, kind, json.dumps(body).encode()


def _not_found() -> Answer:
    return _json(404, {"detail": "Not found."})


class _Server(ThreadingHTTPServer):
    """Remembers open connections so `stop()` can cut keep-alive ones too."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeRescale) -> None:
        self.fake = fake
        self.tls = fake.tls
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept; with TLS, the handshake (a failed one drops just this connection)."""
        sock, address = super().get_request()
        if self.tls is None:
            return sock, address
        try:
            sock.settimeout(5)  # a client that never says hello cannot stall accept()
            wrapped = self.tls.wrap_socket(sock, server_side=True)
            wrapped.settimeout(None)
            return wrapped, address
        except OSError:
            sock.close()
            raise

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.open_lock:
            self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.open_lock:
            self.open.discard(request)
        super().shutdown_request(request)

    def cut_all(self) -> None:
        with self.open_lock:
            conns, self.open = list(self.open), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()


class FakeRescale:
    """The fake platform and its HTTP server. Thread-safe: tests mutate it while it serves."""

    def __init__(self, api_key: str = API_KEY, *, tls: ssl.SSLContext | None = None) -> None:
        self.api_key = api_key
        self.tls = tls
        """Serve HTTPS with this server context (see `tests.fake_rescale.tls`), else HTTP."""
        self.world = World()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ids = 0

    # --- server ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What the provider's `base_url` option should be."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def scheme(self) -> str:
        return "http" if self.tls is None else "https"

    def start(self) -> None:
        """Serve (again on the same port after `stop()`)."""
        assert self._server is None, "already running"
        server = _Server(("127.0.0.1", self.port), self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-rescale"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: the network is down as far as clients can tell."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- scripting ---------------------------------------------------------------------------

    def add_job(
        self,
        name: str,
        *,
        status: str = "Executing",
        reason: str | None = None,
        history: tuple[str, ...] | None = None,
        owner: str = "ada@example.com",
        log: list[str] | None = None,
        instances: list[dict[str, Any]] | None = None,
        cluster_status: str | None = None,
        job_id: str | None = None,
        **fields: Any,
    ) -> FakeJob:
        """A job whose history walks the happy path up to `status` (or follows `history`)."""
        with self.world.lock:
            self._ids += 1
            ident = job_id or f"J{self._ids:04d}x"
            job = FakeJob(ident, name, owner, self.world.now(), **fields)
            steps = history if history is not None else _path_to(status)
            for step in steps:
                self._add_status(job, step, reason if step == steps[-1] else None)
            job.cluster_status = (
                cluster_status
                if cluster_status is not None
                else (
                    "Started"
                    if job.status in {"Executing", "Stopping"}
                    else "Stopped"
                    if job.status == "Completed"
                    else "Starting"
                    if steps
                    else ""
                )
            )
            job.instances = list(instances or [])
            job.log = list(log or [])
            job.stored = job.status in {"Completed", "Force Stop"}
            self.world.jobs[ident] = job
            return job

    def _add_status(self, job: FakeJob, status: str, reason: str | None) -> None:
        when = self.world.now()
        job.statuses.append({"status": status, "statusDate": iso(when), "statusReason": reason})

    def set_status(self, job_id: str, status: str, reason: str | None = None) -> None:
        """Move a job to `status` (a new newest history entry)."""
        with self.world.lock:
            job = self.world.jobs[job_id]
            self._add_status(job, status, reason)
            if status == "Completed":
                job.cluster_status = "Stopping"

    def complete(
        self, job_id: str, reason: str = "Completed successfully", *, upload: bool = True
    ) -> None:
        """Finish a job: Completed, the partial line ends, the log is stored (if `upload`)."""
        with self.world.lock:
            job = self.world.jobs[job_id]
            if job.partial:
                job.log.append(job.partial)
                job.partial = ""
            self.set_status(job_id, "Completed", reason)
            job.stored = upload

    def upload(self, job_id: str) -> None:
        """Store a finished job's log (readable through files/)."""
        with self.world.lock:
            self.world.jobs[job_id].stored = True

    def append_log(self, job_id: str, *lines: str) -> None:
        """Complete lines written by the job."""
        with self.world.lock:
            job = self.world.jobs[job_id]
            if job.partial and lines:
                lines = (job.partial + lines[0], *lines[1:])
                job.partial = ""
            job.log.extend(lines)

    def write_partial(self, job_id: str, text: str) -> None:
        """Text of a line not finished yet (no newline)."""
        with self.world.lock:
            self.world.jobs[job_id].partial += text

    def set_instances(self, job_id: str, instances: list[dict[str, Any]]) -> None:
        with self.world.lock:
            self.world.jobs[job_id].instances = list(instances)

    def write_output(self, job_id: str, path: str, data: bytes) -> None:
        """The job writes (or rewrites) output file `path` (relative to its work dir)."""
        with self.world.lock:
            self.world.jobs[job_id].outputs[path] = data

    def delete_job(self, job_id: str) -> None:
        with self.world.lock:
            del self.world.jobs[job_id]

    def fail(
        self,
        method: str,
        path: str,
        status: int | None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: bytes | str | dict[str, Any] | StreamedBody | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests whose API path (after /api/v2/) matches `path`.

        `status` None answers as usual, only after `delay` seconds (a slow server). A
        `StreamedBody` (see `faults`) is generated while it is sent.
        """
        raw = (
            json.dumps(body).encode()
            if isinstance(body, dict)
            else (body.encode() if isinstance(body, str) else body)
        )
        fault = Fault(method, re.compile(path), status, times, dict(headers or {}), raw, delay)
        with self.world.lock:
            self.world.faults.append(fault)

    def seen(self, method: str, path: str) -> int:
        """How many requests matched `method` and the `path` regex (API path after /api/v2/)."""
        pattern = re.compile(path)
        with self.world.lock:
            return sum(
                1 for r in self.world.requests if r.method == method and pattern.search(r.path)
            )

    @property
    def requests(self) -> list[SeenRequest]:
        with self.world.lock:
            return list(self.world.requests)

    # --- answering ---------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[Answer, float]:
        """(status, headers, body) for one request, and a delay to apply before sending it."""
        split = urlsplit(target)
        query = dict(parse_qsl(split.query))
        if not split.path.startswith("/api/v2/"):
            return _not_found(), 0.0
        path = split.path[len("/api/v2/") :]
        auth = headers.get("authorization")
        slow = 0.0
        with self.world.lock:
            self.world.requests.append(SeenRequest(method, path, query, auth))
            for fault in self.world.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(path):
                    fault.times -= 1
                    if fault.status is None:
                        slow = fault.delay
                        break
                    scripted = fault.body
                    if scripted is None:
                        scripted = json.dumps({"detail": f"scripted {fault.status}"}).encode()
                    kind = {"Content-Type": "application/json"}
                    return (fault.status, {**kind, **fault.headers}, scripted), fault.delay
            if auth is None:
                return _json(401, {"detail": "Authentication credentials were not provided."}), 0
            if auth != f"Token {self.api_key}":
                return _json(401, {"detail": "Invalid token."}), slow
            host = headers.get("host", f"127.0.0.1:{self.port}")
            if method == "POST" and path == "files/contents/":
                return self._upload(headers, body), slow
            answer = self._route(method, path, query, f"{self.scheme}://{host}")
            return _ranged(answer, headers.get("range")), slow

    def _route(self, method: str, path: str, query: dict[str, str], base: str) -> Answer:
        jobs = self.world.jobs
        tail = re.fullmatch(r"jobs/(\w+)/runs/(\w+)/tail/(.+?)/?", path)
        if method == "GET" and tail:
            job = jobs.get(tail[1])
            return _not_found() if job is None else self._tail(job, tail[3], query)
        if not path.endswith("/") and path:
            return _not_found()
        if method == "POST":
            stop = re.fullmatch(r"jobs/(\w+)/stop/", path)
            if stop is None or stop[1] not in jobs:
                return _not_found()
            job = jobs[stop[1]]
            if job.status in {"Completed", "Force Stop"}:
                return _json(400, {"detail": "Job is already completed."})
            self._add_status(job, "Stopping", "User Terminated")
            return 202, {}, b""
        if method != "GET":
            return _json(405, {"detail": f'Method "{method}" not allowed.'})
        if path == "":
            return _json(200, {"jobs": f"{base}/api/v2/jobs/"})
        if path == "users/me/":
            return _json(200, self.world.user)
        if path == "jobs/":
            ordered = sorted(jobs.values(), key=lambda j: j.inserted, reverse=True)
            return self._page([j.list_item() for j in ordered], path, query, base)
        match = re.fullmatch(r"jobs/(\w+)/(?:(\w+)/)?", path)
        if match and match[1] in jobs:
            job, what = jobs[match[1]], match[2]
            if what is None:
                return _json(200, job.detail())
            if what == "statuses":
                return self._page(list(reversed(job.statuses)), path, query, base)
            if what == "cluster_statuses":
                entry = {"status": job.cluster_status, "statusDate": iso(job.inserted)}
                return self._page([entry] if job.cluster_status else [], path, query, base)
            if what == "runs":
                return self._page(job.runs(), path, query, base)
            if what == "instances":
                return self._page(job.instances, path, query, base)
            if what == "files":
                wanted = query.get("search", "")
                found = [f for f in job.files() if wanted in f["name"]]
                return self._page(found, path, query, base)
        live = re.fullmatch(r"jobs/(\w+)/runs/(\w+)/directory-contents/", path)
        if live and live[1] in jobs:
            job = jobs[live[1]]
            if job.status not in {"Executing", "Stopping"}:
                return _not_found()
            entries = [
                {"path": rel, "resource": f"{base}/api/v2/jobs/{job.id}/runs/1/tail/{rel}"}
                for rel in sorted(job.outputs)
            ]
            return _json(200, entries)
        output = re.fullmatch(r"files/O(\w+)n(\d+)/contents/", path)
        if output and output[1] in jobs and jobs[output[1]].stored:
            written = sorted(jobs[output[1]].outputs.items())
            if int(output[2]) < len(written):
                data = written[int(output[2])][1]
                return 200, {"Content-Type": "application/octet-stream"}, data
        stored = re.fullmatch(r"files/F(\w+)/(lines|contents)/", path)
        if stored and stored[1] in jobs and jobs[stored[1]].stored:
            lines = jobs[stored[1]].log
            if stored[2] == "lines":
                return _json(200, {"lines": [line + "\n" for line in lines]})
            text = "".join(line + "\n" for line in lines).encode()
            return 200, {"Content-Type": "application/octet-stream"}, text
        return _not_found()

    def _upload(self, headers: dict[str, str], body: bytes) -> Answer:
        """A multipart upload (field `file`): stored, answered with its file object."""
        kind = headers.get("content-type", "")
        boundary = kind.partition("boundary=")[2].strip('"')
        if not boundary:
            return _json(400, {"detail": "Multipart form parse error."})
        for part in body.split(b"--" + boundary.encode()):
            head, _, data = part.partition(b"\r\n\r\n")
            match = re.search(rb'name="file"; filename="([^"]*)"', head)
            if match:
                name = match[1].decode("utf-8", "replace")
                data = data.removesuffix(b"\r\n")
                with self.world.lock:
                    ident = f"U{len(self.world.uploads) + 1:04d}"
                    self.world.uploads[ident] = (name, data)
                item = {"id": ident, "name": name, "typeId": 1, "decryptedSize": len(data)}
                return _json(201, item)
        return _json(400, {"detail": "No file was submitted."})

    def _tail(self, job: FakeJob, file: str, query: dict[str, str]) -> Answer:
        if job.status in {"Executing", "Stopping"} and file in job.outputs and "lines" not in query:
            return 200, {"Content-Type": "application/octet-stream"}, job.outputs[file]
        if job.status not in {"Executing", "Stopping"} or file != "process_output.log":
            return _not_found()
        complete = [line + "\n" if self.world.tail_newlines else line for line in job.log]
        lines = complete + ([job.partial] if job.partial else [])
        if "lines" not in query:
            text = "".join(complete).encode() + job.partial.encode()
            return 200, {"Content-Type": "text/plain"}, text
        count = int(query["lines"])
        window = lines[-count:] if count > 0 else []
        return _json(200, {"fileType": f"{file}: ASCII text", "lines": window})

    def _page(
        self, items: list[dict[str, Any]], path: str, query: dict[str, str], base: str
    ) -> Answer:
        size = min(int(query.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size : page * size]
        if page > 1 and not chunk:
            return _json(404, {"detail": "Invalid page."})

        def link(number: int) -> str:
            return f"{base}/api/v2/{path}?{urlencode({**query, 'page': number})}"

        more = page * size < len(items)
        return _json(
            200,
            {
                "count": len(items),
                "next": link(page + 1) if more else None,
                "previous": link(page - 1) if page > 1 else None,
                "results": chunk,
            },
        )


def _ranged(answer: Answer, header: str | None) -> Answer:
    """`answer` cut to a `Range: bytes=N-` request (206), as the storage behind Rescale does."""
    status, headers, body = answer
    match = re.fullmatch(r"bytes=(\d+)-", header or "")
    if status != 200 or match is None or not isinstance(body, bytes):
        return answer
    start = int(match[1])
    if start >= len(body) and body:
        return 416, {"Content-Range": f"bytes */{len(body)}"}, b""
    ranged = {**headers, "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
    return 206, ranged, body[start:]


def _path_to(status: str) -> tuple[str, ...]:
    if status == "":
        return ()
    if status in HAPPY_PATH:
        return HAPPY_PATH[: HAPPY_PATH.index(status) + 1]
    if status == "Waiting for Cluster":
        return ("Pending", "Queued", "Waiting for Cluster")
    if status == "Force Stop":
        return (*HAPPY_PATH, "Stopping", "Force Stop")
    return (*HAPPY_PATH, status)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeRescale/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        assert isinstance(self.server, _Server)
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        sent = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        (status, extra, body), delay = fake.answer(method, self.path, headers, sent)
        if delay:
            time.sleep(delay)
        if isinstance(body, StreamedBody):
            body.send(self, status, extra)
            return
        with contextlib.suppress(OSError):
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")


@contextlib.contextmanager
def running_fake(api_key: str = API_KEY) -> Iterator[FakeRescale]:
    """A started fake platform, stopped at the end."""
    fake = FakeRescale(api_key)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def http_date(when: datetime) -> str:
    """An HTTP-date (for `Retry-After`)."""
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")
