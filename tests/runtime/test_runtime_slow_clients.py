"""Slow and idle clients against real processes (``serve`` and ``files``), with raw sockets:
half-sent headers, idle connections, bodies that stall or trickle, and more connections than the
bound. Each must be cut by the server within a bound; nothing here measures throughput."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

from rt_support import HERE, free_port, post_json, serve_process, wait_http

TIMEOUTS = {"MLCC_HEADER_TIMEOUT": "1", "MLCC_BODY_TIMEOUT": "1", "MLCC_BODY_MIN_RATE": "2048"}
ECHO = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.echo"}
# Cut-off bound: the configured second plus scheduling slack on a busy 2-core machine.
BOUND = 4.0
FIGURES: dict[str, float] = {}


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.setblocking(False)
    return sock


def _cut_off(socks: list[socket.socket], seconds: float,
             keep_sending: bytes = b"") -> tuple[list[socket.socket], dict[socket.socket, bytes],
                                                 float]:
    """Wait up to ``seconds`` for the server to close each socket, sending ``keep_sending`` on
    the open ones every 0.1 s. Returns (sockets still open, what each received, seconds until
    the last one closed)."""
    selector = selectors.DefaultSelector()
    for s in socks:
        selector.register(s, selectors.EVENT_READ)
    received = {s: b"" for s in socks}
    still_open = set(socks)
    started = time.monotonic()
    last_close = 0.0
    next_send = started
    while still_open and time.monotonic() - started < seconds:
        if keep_sending and time.monotonic() >= next_send:
            for s in list(still_open):
                try:
                    s.send(keep_sending)
                except OSError:
                    pass  # closed by the server: the read below sees it
            next_send += 0.1
        for key, _ in selector.select(timeout=0.05):
            s = key.fileobj
            try:
                chunk = s.recv(65536)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                received[s] += chunk  # type: ignore[index]
            else:
                still_open.discard(s)  # type: ignore[arg-type]
                selector.unregister(s)
                last_close = time.monotonic() - started
    selector.close()
    return list(still_open), received, last_close


def _close_all(socks: list[socket.socket]) -> None:
    for s in socks:
        s.close()


@contextmanager
def _serving(**env: str) -> Iterator[str]:
    with serve_process({**ECHO, **TIMEOUTS, **env}) as (_, base):
        yield base


def test_half_sent_request_headers_are_cut() -> None:
    with _serving(MLCC_MAX_CONNECTIONS="1000") as base:
        socks = [_connect(base) for _ in range(300)]
        for s in socks:
            s.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Le")
        still_open, received, last = _cut_off(socks, BOUND)
        _close_all(socks)
        FIGURES["half_sent_headers_cut_s"] = last
        assert not still_open, f"{len(still_open)} of 300 half-sent requests still open"
        assert all(r.startswith(b"HTTP/1.1 408 ") for r in received.values())
        assert post_json(base + "/predict", {"inputs": []})[0] == 200  # serving as before


def test_idle_connections_are_closed_and_the_next_request_headers_are_timed_again() -> None:
    with _serving() as base:
        idle = [_connect(base) for _ in range(50)]
        still_open, received, _ = _cut_off(idle, BOUND)
        _close_all(idle)
        assert len(still_open) == 0 and not any(received.values())  # closed without a word
        # after an answer, the first byte of the next request starts the header clock again
        sock = _connect(base)
        sock.send(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/health/li")
        still_open, received, _ = _cut_off([sock], BOUND)
        sock.close()
        assert len(still_open) == 0
        assert received[sock].startswith(b"HTTP/1.1 200 ") and b"408 Request Timeout" in \
            received[sock]


def test_a_trickled_body_is_cut_with_408() -> None:
    with _serving() as base:
        sock = _connect(base)
        sock.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n{\"inputs\": [")
        # 10 bytes every 0.1 s: never a pause, but 100 bytes/s, far below the minimum rate
        still_open, received, last = _cut_off([sock], 10.0, keep_sending=b"          ")
        sock.close()
        FIGURES["trickled_body_cut_s"] = last
        assert len(still_open) == 0, "a trickled body was never cut"
        assert last < 1.0 + BOUND
        assert received[sock].startswith(b"HTTP/1.1 408 ")
        assert b"connection: close" in received[sock].lower()
        assert b"too slow" in received[sock]


def test_a_stalled_body_is_cut_with_408() -> None:
    with _serving() as base:
        sock = _connect(base)
        sock.send(b"POST /v2/models/model/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 50"
                  b"\r\n\r\n{\"inputs\": [")
        still_open, received, last = _cut_off([sock], 10.0)
        sock.close()
        FIGURES["stalled_body_cut_s"] = last
        assert len(still_open) == 0 and last < 1.0 + BOUND
        assert received[sock].startswith(b"HTTP/1.1 408 ")


def test_a_fast_large_body_is_not_cut() -> None:
    with _serving() as base:
        data = list(range(200_000))
        status, answer = post_json(base + "/predict", {"inputs": [
            {"name": "x", "datatype": "INT64", "data": data}]})
        assert status == 200 and answer["outputs"][0]["data"] == data


def test_open_connections_are_bounded() -> None:
    with _serving(MLCC_MAX_CONNECTIONS="20", MLCC_HEADER_TIMEOUT="60") as base:
        socks = [_connect(base) for _ in range(40)]
        time.sleep(0.3)
        still_open, _, _ = _cut_off(socks, 1.0)
        _close_all(socks)
        assert len(still_open) == 20, len(still_open)  # the other 20 were closed as they opened
        time.sleep(0.3)
        assert post_json(base + "/predict", {"inputs": []})[0] == 200  # room again


@contextmanager
def _files_process(**env: str) -> Iterator[str]:
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    full_env.update({"MLCC_FILES_BOXES": "box=s3://bucket/prefix", "MLCC_HOST": "127.0.0.1",
                     "MLCC_PORT": str(port), **TIMEOUTS, **env})
    proc = subprocess.Popen([sys.executable, "-m", "mlcc_runtime", "files"], env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/v2/health/ready", proc=proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_file_api_cuts_slow_clients_too() -> None:
    with _files_process(MLCC_MAX_CONNECTIONS="20") as base:
        half = [_connect(base) for _ in range(10)]
        for s in half:
            s.send(b"GET /files/box/g/a.txt HTTP/1.1\r\nHost: x\r\nX-Forwa")
        stalled = _connect(base)  # a chunked PUT whose first chunk never comes
        stalled.send(b"PUT /files/box/g/a.txt HTTP/1.1\r\nHost: x\r\nX-Forwarded-User: alice"
                     b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        still_open, received, last = _cut_off(half + [stalled], 10.0)
        _close_all(half + [stalled])
        FIGURES["file_api_cut_s"] = last
        assert len(still_open) == 0 and last < 1.0 + BOUND
        assert all(received[s].startswith(b"HTTP/1.1 408 ") for s in half + [stalled])
        extra = [_connect(base) for _ in range(30)]
        time.sleep(0.3)
        still_open, _, _ = _cut_off(extra, 0.5)
        _close_all(extra)
        assert len(still_open) == 20
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            assert r.status == 200


def test_zz_report_figures() -> None:
    """Keep the measured cut-offs visible in the test output (-s) for the README table."""
    print("\nslow-client cut-offs (s):", {k: round(v, 2) for k, v in FIGURES.items()})
