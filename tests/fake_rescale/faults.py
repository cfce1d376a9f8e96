"""Hostile answers for the fake platform: huge streamed bodies and deeply nested JSON.

fake.fail("GET", r"^jobs/$", 200, body=huge_page(50 * MB))       # chunked, never held whole
fake.fail("GET", r"^jobs/$", 200, body=huge_page(50 * MB, declare_length=True))
fake.fail("GET", r"^jobs/$", 200, body=nested_json(100_000))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

MB = 1024 * 1024
_ITEM = b'{"id": "HUGE01", "name": "' + b"x" * 980 + b'", "jobStatus": {"content": "Completed"}}'
_PREFIX = b'{"count": 1, "next": null, "previous": null, "results": ['
_SUFFIX = _ITEM + b"]}"


@dataclass(frozen=True)
class StreamedBody:
    """A valid JSON job page of about `size` bytes, generated in 1 MB chunks as it is sent.

    The same chunk object is written again and again, so the server holds about 1 MB however
    large the body; a test measuring the client's memory measures the client.
    """

    size: int
    declare_length: bool = False
    """Send a Content-Length header (else chunked transfer encoding)."""

    def chunks(self) -> Iterator[bytes]:
        chunk = (_ITEM + b",") * (MB // (len(_ITEM) + 1))
        yield _PREFIX
        for _ in range(max(0, self.size - len(_PREFIX) - len(_SUFFIX)) // len(chunk)):
            yield chunk
        yield _SUFFIX

    def __len__(self) -> int:
        return sum(len(chunk) for chunk in self.chunks())

    def send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
        """Write the whole answer; a client that hangs up early is not an error here."""
        with contextlib.suppress(OSError):
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            if self.declare_length:
                handler.send_header("Content-Length", str(len(self)))
            else:
                handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for chunk in self.chunks():
                if self.declare_length:
                    handler.wfile.write(chunk)
                else:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if not self.declare_length:
                handler.wfile.write(b"0\r\n\r\n")
        handler.close_connection = True


def huge_page(size: int, *, declare_length: bool = False) -> StreamedBody:
    """A job page of about `size` bytes, streamed (see `StreamedBody`)."""
    return StreamedBody(size, declare_length)


def nested_json(depth: int) -> bytes:
    """Valid JSON: `depth` arrays inside one another (deeper than a recursive decoder goes)."""
    return b"[" * depth + b"]" * depth
