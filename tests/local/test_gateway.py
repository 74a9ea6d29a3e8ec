"""`mlcc run`'s gateway against hostile clients, over real sockets: a repeated credential header
cannot check one user and forward another, a bad Content-Length gets an answer, an idle client is
cut, a reset client prints no traceback, and a busy port fails at once naming the port."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlcc.tools.local.gateway import Gateway, GatewayError, Route

USERS = {"api-cred": {"alice": "alice-pw", "bob": "bob-pw"}}


class _Echo(BaseHTTPRequestHandler):
    """The backend: answers with the Authorization headers it received."""

    seen: list[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append(self.headers.get_all("Authorization") or [])
        body = json.dumps({"authorization": self.headers.get_all("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def gateway():
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    _Echo.seen.clear()
    route = Route("/ns/api", "", "svc", backend.server_address[1], credentials="api-cred")
    gw = Gateway([route], USERS, 0, idle_timeout=1.0)
    gw.start()
    yield gw
    gw.stop()
    backend.shutdown()
    backend.server_close()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _raw(port: int, request: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0)
                    if len(rest) >= length:
                        break
        except TimeoutError:
            pass
        return b"".join(chunks)


def test_a_valid_user_is_forwarded_with_the_header_that_was_checked(gateway) -> None:
    answer = _raw(gateway.port, f"GET /ns/api/predict HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic('alice', 'alice-pw')}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200")
    assert _Echo.seen == [[_basic("alice", "alice-pw")]]


def test_a_second_authorization_header_is_refused_not_forwarded(gateway) -> None:
    """Before: the first header was checked and the last forwarded, so alice's password acted as bob."""
    request = (
        "GET /ns/api/predict HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {_basic('alice', 'alice-pw')}\r\nAuthorization: {_basic('bob', 'wrong')}\r\n\r\n"
    ).encode()
    answer = _raw(gateway.port, request)
    assert answer.startswith(b"HTTP/1.1 400") and b"authorization is given more than once" in answer
    assert _Echo.seen == []


def test_a_repeated_identity_header_is_refused(gateway) -> None:
    request = (
        "GET /ns/api/predict HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {_basic('alice', 'alice-pw')}\r\nX-Forwarded-User: alice\r\nX-Forwarded-User: bob\r\n\r\n"
    ).encode()
    assert _raw(gateway.port, request).startswith(b"HTTP/1.1 400")
    assert _Echo.seen == []


@pytest.mark.parametrize("value", ["-1", "abc", "1e3"])
def test_a_bad_content_length_gets_a_400_answer(gateway, value: str) -> None:
    """Before: -1 read until EOF and held a thread; abc dropped the connection without an answer."""
    request = (
        f"POST /ns/api/predict HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic('alice', 'alice-pw')}\r\n"
        f"Content-Length: {value}\r\n\r\n{{}}"
    ).encode()
    started = time.monotonic()
    answer = _raw(gateway.port, request)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"is not a number of bytes" in answer
    assert time.monotonic() - started < 1.0  # answered at once, not after a timeout
    assert _Echo.seen == []


def test_a_chunked_body_is_refused_with_411(gateway) -> None:
    request = (
        f"POST /ns/api/predict HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic('alice', 'alice-pw')}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    ).encode()
    assert _raw(gateway.port, request).startswith(b"HTTP/1.1 411")


def test_an_idle_client_is_cut_after_the_idle_timeout(gateway) -> None:
    """Half-sent headers, and a body that stops coming, each hold a connection only until the timeout."""
    auth = _basic("alice", "alice-pw")
    for partial in (b"GET /ns/api/predict HTTP/1.1\r\nHost: x\r\n",
                    f"POST /ns/api/p HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 100\r\n\r\n{{".encode()):
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
            sock.sendall(partial)
            started = time.monotonic()
            assert sock.recv(1024) == b""  # closed by the gateway
            assert time.monotonic() - started < 5.0


def test_a_client_reset_prints_no_traceback(gateway, capfd) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(f"POST /ns/api/p HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic('alice', 'alice-pw')}\r\nContent-Length: 100\r\n\r\n".encode())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err


def test_a_busy_port_fails_at_once_naming_it(gateway) -> None:
    with pytest.raises(GatewayError, match=f"cannot listen on 127.0.0.1:{gateway.port}.*--port"):
        Gateway([], USERS, gateway.port)
