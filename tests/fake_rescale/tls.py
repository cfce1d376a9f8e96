"""A throw-away certificate authority for serving the fake platform over real HTTPS."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class LoopbackTls:
    """A self-signed certificate for 127.0.0.1: the server's context and a client that trusts it."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_transport(self) -> httpx.AsyncHTTPTransport:
        """An httpx transport that verifies the server against this certificate only."""
        return httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=self.cert))


def loopback_tls(directory: Path) -> LoopbackTls:
    """Make a key and a self-signed certificate for `127.0.0.1` under `directory` (openssl)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    command += ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext"]
    command += ["subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return LoopbackTls(cert, key)
