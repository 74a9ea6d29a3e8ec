"""Reading a request body: capped in size (413 before buffering past the limit), charged to the
request's memory, and cut off when it stalls or trickles (408).

The body must keep coming: no pause longer than ``body_timeout`` seconds, and after the first
``body_timeout`` seconds an average of at least ``body_min_rate`` bytes per second. A client that
sends a byte now and then cannot hold a connection, a request slot and its memory forever.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request

from mlcc_runtime.boundedjson import Charge
from mlcc_runtime.config import ConnectionLimits
from mlcc_runtime.errors import ApiError

# The rest of the body is not read: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


async def read_capped(request: Request, limit: int, charge: Charge | None = None,
                      pace: ConnectionLimits | None = None) -> bytes | bytearray:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise ApiError(400, "Content-Length is not an integer") from None
    started = asyncio.get_running_loop().time()
    first: bytes | None = None
    body: bytearray | None = None
    size = 0
    while True:
        chunk, more = await _next_chunk(request, pace, started, size)
        if chunk:
            size += len(chunk)
            if size > limit:  # chunked uploads have no Content-Length to check up front
                raise _too_large(limit)
            if charge is not None:
                charge(len(chunk) + (len(chunk) >> 3))  # with the buffer's over-allocation
            if first is None and body is None:
                first = chunk
            else:
                if body is None:
                    body = bytearray(first or b"")
                    first = None
                body += chunk
        if not more:
            break
    if body is not None:
        return body
    return first if first is not None else b""


async def _next_chunk(request: Request, pace: ConnectionLimits | None, started: float,
                      size: int) -> tuple[bytes, bool]:
    """The next piece of the body and whether more follows; 408 when it does not come in time."""
    idle = pace.body_timeout if pace is not None else 0.0
    if idle <= 0:
        message = await request.receive()
    else:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + idle
        rate = pace.body_min_rate  # type: ignore[union-attr]
        if rate > 0:
            deadline = min(deadline, started + idle + size / rate)
        try:
            async with asyncio.timeout_at(deadline):
                message = await request.receive()
        except TimeoutError:
            raise ApiError(408, f"request body stalled or too slow: {size} bytes in "
                                f"{loop.time() - started:.1f} s (no pause over {idle:g} s, at "
                                f"least {rate} bytes/s after that)", _CLOSE) from None
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    return message.get("body", b""), message.get("more_body", False)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body exceeds the limit of {limit} bytes (--max-body-bytes)",
                    _CLOSE)


async def has_body(request: Request, pace: ConnectionLimits | None = None) -> bool:
    """Whether the request carries content; reads at most its first chunk (for a client that
    sends ``Expect: 100-continue`` with a Content-Length, nothing at all)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            return int(declared) > 0
        except ValueError:
            return True
    if "transfer-encoding" not in request.headers:
        return False
    started = asyncio.get_running_loop().time()
    more = True
    while more:
        chunk, more = await _next_chunk(request, pace, started, 0)
        if chunk:
            return True
    return False
