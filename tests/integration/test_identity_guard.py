"""The public-address guard against a real HTTP endpoint on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.sshd import free_port
from tui.core.identity.cidr import PublicAddressGuard
from tui.core.identity.errors import CidrError, PublicAddressError

ANSWERS = {
    "/inside": (200, "10.1.2.3\n"),
    "/outside": (200, "198.51.100.7"),
    "/json": (200, '{"ip": "2001:db8::5"}'),
    "/junk": (200, "<html>hello</html>"),
    "/broken": (500, "oops"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ANSWERS.get(self.path, (404, "no"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


RULE = "10.0.0.0/8, 76.238.240.39/32"


async def test_inside_and_outside_addresses(endpoint: str) -> None:
    inside = await PublicAddressGuard(f"{endpoint}/inside").check(RULE, job="cfd-wing")
    assert inside.allowed and str(inside.address) == "10.1.2.3"
    outside = await PublicAddressGuard(f"{endpoint}/outside").check(RULE, job="cfd-wing")
    assert not outside.allowed
    assert "198.51.100.7 is outside cfd-wing's access rule" in outside.message
    assert "Add 198.51.100.7/32" in outside.message
    v6 = PublicAddressGuard(f"{endpoint}/json")
    assert (await v6.check("2001:db8::/32")).allowed
    assert not (await v6.check(RULE)).allowed


async def test_bad_answers_and_bad_rules_are_clear(endpoint: str) -> None:
    with pytest.raises(PublicAddressError, match="answered '<html>hello</html>', not an IP"):
        await PublicAddressGuard(f"{endpoint}/junk").public_address()
    with pytest.raises(PublicAddressError, match="500"):
        await PublicAddressGuard(f"{endpoint}/broken").public_address()
    down = PublicAddressGuard(f"http://127.0.0.1:{free_port()}/", timeout=2)
    with pytest.raises(PublicAddressError, match="cannot learn this workstation's public"):
        await down.public_address()
    with pytest.raises(CidrError, match="0 to 32"):
        await PublicAddressGuard(f"{endpoint}/inside").check("10.0.0.0/33")
