"""Connection guards for uvicorn: deadlines for a request's headers and body, and a bound on open
connections. uvicorn has none of them: a client that opens connections and sends nothing, half a
request line, or a body a byte at a time, holds each connection (and its request) for as long as
it likes.

- Headers: complete within ``header_timeout`` seconds of the connection's opening, or of the first
  byte of the next request. Past it the connection is closed, after a 408 if part of a request
  had come. Between requests the keep-alive timeout applies, as before.
- Body: no pause longer than ``body_timeout`` seconds, and after the first ``body_timeout``
  seconds an average of at least ``body_min_rate`` bytes per second. Past it the answer is 408
  (``Connection: close``) and the request's handler sees the client gone. Time the server itself
  does not read (flow control, a handler busy before reading) does not count.
- A connection past ``max_connections`` is closed as it opens.

A request costs a counter and a comparison; one timer per server sweeps the open connections
four times per deadline (at least once a second), so a cut-off comes at most that much late.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from mlcc_runtime.config import ConnectionLimits
from mlcc_runtime.jsonio import dumps

_HEADERS_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: "
                      b"text/plain\r\nContent-Length: 38\r\n\r\nrequest headers did not arrive "
                      b"in time")


def _body_timed_out(message: str) -> bytes:
    body = dumps({"error": message})
    return (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: "
            b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def protocol_class(limits: ConnectionLimits, base: type[Any] = AutoHTTPProtocol) -> type[Any]:
    """uvicorn's HTTP protocol (httptools, or h11 where httptools is missing) with the guards,
    for ``uvicorn.Config(http=...)``."""
    timeouts = [t for t in (limits.header_timeout, limits.body_timeout) if t > 0]
    tick = min(1.0, max(0.05, min(timeouts) / 4)) if timeouts else 0.0

    class GuardedProtocol(base):  # type: ignore[misc, valid-type]
        _open: Any = None  # the server's set of connections, for the sweep
        _sweeping = False
        _received = 0  # bytes received on this connection
        # The head being awaited: since when, after which request (None: the first), and the
        # bytes received before it began.
        _head_since: float | None = None
        _head_after: Any = None
        _head_bytes = 0
        # The body being awaited: its request, since when, bytes before it; the sweep's view of
        # the byte count and when it last moved.
        _body_cycle: Any = None
        _body_since = 0.0
        _body_start = 0
        _seen_bytes = 0
        _seen_moving = 0.0

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            if limits.max_connections and len(self.connections) > limits.max_connections:
                transport.close()  # type: ignore[attr-defined]
                return
            self._head_since = self.loop.time()
            cls = type(self)
            cls._open = self.connections
            if tick and not cls._sweeping:
                cls._sweeping = True
                self.loop.call_later(tick, cls._sweep, self.loop)

        def data_received(self, data: bytes) -> None:
            received = self._received
            self._received = received + len(data)
            super().data_received(data)
            cycle = self.cycle
            if cycle is not None and cycle.response_complete and self._head_after is not cycle:
                # The first bytes after an answer: the next request's head is awaited from now
                # (a head that came whole has started a new cycle already).
                self._head_since, self._head_after, self._head_bytes = \
                    self.loop.time(), cycle, received

        @classmethod
        def _sweep(cls, loop: asyncio.AbstractEventLoop) -> None:
            now = loop.time()
            for connection in list(cls._open or ()):
                connection._check(now)
            if cls._open:
                loop.call_later(tick, cls._sweep, loop)
            else:
                cls._sweeping = False

        def _check(self, now: float) -> None:
            transport = self.transport
            if transport is None or transport.is_closing():
                return
            cycle = self.cycle
            if cycle is None or cycle.response_complete:
                if cycle is not None and self._head_after is not cycle \
                        and getattr(self, "scope", None) is not cycle.scope:
                    # httptools began parsing a request pipelined behind the one answered (its
                    # head came with that one's bytes): it is awaited from now.
                    self._head_since, self._head_after, self._head_bytes = now, cycle, -1
                since = self._head_since
                if since is not None and self._head_after is cycle \
                        and limits.header_timeout > 0 and now - since > limits.header_timeout:
                    if self._received > self._head_bytes:  # part of a request came
                        transport.write(_HEADERS_TIMED_OUT)
                    transport.close()
                return
            if not cycle.more_body or limits.body_timeout <= 0:
                return
            if self._body_cycle is not cycle:  # a new body: its clock starts
                self._body_cycle, self._body_since = cycle, now
                self._body_start = self._seen_bytes = self._received
                self._seen_moving = now
                return
            if self._received != self._seen_bytes:
                self._seen_bytes, self._seen_moving = self._received, now
            if self.flow.read_paused or cycle.body:
                # The server is not reading (a full buffer, a handler busy before it reads):
                # not the client's time.
                self._seen_moving = now
                self._body_since += tick
                return
            size = self._received - self._body_start
            rate = limits.body_min_rate
            allowed = limits.body_timeout + (size / rate if rate else float("inf"))
            if now - self._seen_moving > limits.body_timeout or now - self._body_since > allowed:
                if not cycle.response_started:
                    transport.write(_body_timed_out(
                        f"request body stalled or too slow: {size} bytes in "
                        f"{now - self._body_since:.1f} s (no pause over {limits.body_timeout:g} "
                        f"s, at least {rate} bytes/s after that)"))
                transport.close()

    return GuardedProtocol
