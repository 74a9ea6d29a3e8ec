"""Reading a request body: capped in size (413 before buffering past the limit) and charged to
the request's memory as it arrives. A body that stalls or trickles is cut by the connection
guards (``connections.py``, 408); the handler then sees the client gone."""

from __future__ import annotations

from starlette.requests import Request

from mlcc_runtime.boundedjson import Charge
from mlcc_runtime.errors import ApiError

# The rest of the body is not read: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


async def read_capped(request: Request, limit: int,
                      charge: Charge | None = None) -> bytes | bytearray:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise ApiError(400, "Content-Length is not an integer") from None
    first: bytes | None = None
    body: bytearray | None = None
    size = 0
    while True:
        chunk, more = await _next_chunk(request)
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


async def _next_chunk(request: Request) -> tuple[bytes, bool]:
    """The next piece of the body and whether more follows."""
    message = await request.receive()
    if message["type"] == "http.disconnect":
        # Gone, or cut off as too slow (the guards answered 408): nobody reads this answer,
        # but the metrics count it as what it is, not as a server error.
        raise ApiError(408, "the client closed the connection or was cut off before the body "
                            "ended")
    return message.get("body", b""), message.get("more_body", False)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body exceeds the limit of {limit} bytes (--max-body-bytes)",
                    _CLOSE)


async def has_body(request: Request) -> bool:
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
    more = True
    while more:
        chunk, more = await _next_chunk(request)
        if chunk:
            return True
    return False
