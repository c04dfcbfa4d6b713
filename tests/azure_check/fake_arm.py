"""A fake Azure Resource Manager on loopback that has a bad day on request.

An HTTPS server on ``127.0.0.1`` (a throw-away self-signed certificate made with ``cryptography``) answers
the Compute API from recorded bodies, and injects the faults a real ARM endpoint shows: 5xx and 429 answers,
reset connections, slow answers, bodies cut off mid-way, bodies that are not JSON, and a ``nextLink`` that
loops. The real ``ComputeManagementClient`` talks to it through its real transport (requests + urllib3 + TLS),
so the retry policy, timeouts and deserialisers under test are the SDK's own. Nothing leaves the machine.

Faults are scripted per route: ``server.script(r"/virtualMachines", [Fault.status_code(503), Fault.ok()])``
makes the first matching request fail with 503 and the next succeed; the last fault of a script repeats.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Fault:
    kind: str  # ok, status, reset, slow, truncate, garbage
    status: int = 200
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0

    @staticmethod
    def ok(body: Any = None) -> Fault:
        return Fault("ok", body=body)

    @staticmethod
    def status_code(status: int, retry_after: str | None = None) -> Fault:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        body = {"error": {"code": f"Http{status}", "message": f"injected HTTP {status}"}}
        return Fault("status", status=status, body=body, headers=headers)

    @staticmethod
    def reset() -> Fault:
        return Fault("reset")

    @staticmethod
    def slow(delay: float) -> Fault:
        return Fault("slow", delay=delay)

    @staticmethod
    def truncate() -> Fault:
        return Fault("truncate")

    @staticmethod
    def garbage() -> Fault:
        return Fault("garbage")


@dataclass
class _Route:
    pattern: str
    body: Any  # the recorded answer, or a callable(server) -> body
    faults: list[Fault] = field(default_factory=list)


class FakeArm(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cert_dir: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: list[_Route] = []
        self.requests: list[str] = []
        self.cafile = _self_signed(cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cafile, cert_dir / "key.pem")
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up on a slow answer closes the socket under the handler: expected

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def route(self, pattern: str, body: Any, first: bool = False) -> None:
        """Answer requests whose path matches ``pattern`` with ``body``; routes are tried in order."""
        self.routes.insert(0 if first else len(self.routes), _Route(pattern, body))

    def script(self, pattern: str, faults: list[Fault]) -> None:
        for route in self.routes:
            if re.search(pattern, route.pattern) or route.pattern == pattern:
                route.faults = list(faults)
                return
        raise KeyError(pattern)

    def answer(self, path: str) -> tuple[Fault, Any]:
        self.requests.append(path)
        for route in self.routes:
            if re.search(route.pattern, path):
                fault = route.faults.pop(0) if len(route.faults) > 1 else (route.faults or [Fault.ok()])[0]
                body = route.body(self) if callable(route.body) else route.body
                return fault, body
        return Fault.status_code(404), None


class _Handler(BaseHTTPRequestHandler):
    server: FakeArm
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def do_GET(self) -> None:
        fault, body = self.server.answer(self.path)
        if fault.kind == "reset":
            # RST instead of FIN: the client sees "connection reset by peer"
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault.kind == "slow":
            time.sleep(fault.delay)
        if fault.kind == "status":
            self._send(fault.status, json.dumps(fault.body).encode(), dict(fault.headers))
            return
        data = json.dumps(fault.body if fault.body is not None else body).encode()
        if fault.kind == "garbage":
            self._send(200, b"<html>502 Bad Gateway from a proxy</html>", {})
        elif fault.kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:
            self._send(200, data, {})

    def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def serve(cert_dir: Path) -> Iterator[FakeArm]:
    """Run a :class:`FakeArm` in a thread for the duration of a fixture."""
    server = FakeArm(cert_dir)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(cert_dir: Path) -> Path:
    """A certificate for 127.0.0.1 signed by itself; the client trusts exactly this file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = cert_dir / "cert.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (cert_dir / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path
