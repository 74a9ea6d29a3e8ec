"""Connection guards for uvicorn: a deadline for a request's headers and a bound on open
connections. uvicorn has neither: a client that opens connections and sends nothing, or half a
request line, holds each of them for as long as it likes.

The header deadline runs from a connection's opening, and again from the first byte that follows
an answer, until the request's headers are complete; past it the connection is closed (after a
408 when part of a request had come). Between requests the keep-alive timeout applies, as before.
A connection past ``max_connections`` is closed as it opens. The body's pace is checked where it
is read (``body.py``), so the answer can be a 408.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from mlcc_runtime.config import ConnectionLimits

_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain"
              b"\r\nContent-Length: 38\r\n\r\nrequest headers did not arrive in time")


def protocol_class(limits: ConnectionLimits, base: type[Any] = AutoHTTPProtocol) -> type[Any]:
    """uvicorn's HTTP protocol (httptools, or h11 where httptools is missing) with the guards,
    for ``uvicorn.Config(http=...)``."""

    class GuardedProtocol(base):  # type: ignore[misc, valid-type]
        _header_timer: asyncio.TimerHandle | None = None
        _partial = False  # bytes of a request came and its headers are not complete
        _in_headers = False  # the parser is inside a request's head (httptools tells)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            if limits.max_connections and len(self.connections) > limits.max_connections:
                transport.close()  # type: ignore[attr-defined]
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._waiting_for_headers():
                self._partial = True
                self._arm()
            elif not self._in_headers:
                self._disarm()

        # httptools' parser callbacks: the first byte of a request, also one pipelined behind
        # a request still being answered, and the end of its head (h11 has no such callbacks;
        # data_received covers it but for pipelining).
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_headers = self._partial = True
            self._arm()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._in_headers:
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _waiting_for_headers(self) -> bool:
            cycle = self.cycle
            return cycle is None or cycle.response_complete

        def _arm(self) -> None:
            if limits.header_timeout > 0 and self._header_timer is None:
                self._header_timer = self.loop.call_later(limits.header_timeout, self._expired)

        def _disarm(self) -> None:
            self._partial = False
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expired(self) -> None:
            self._header_timer = None
            transport = self.transport
            if not self._waiting_for_headers() or transport.is_closing():
                return  # a request is being answered; its end re-arms the deadline
            if self._partial:
                transport.write(_TIMED_OUT)
            transport.close()

    return GuardedProtocol
