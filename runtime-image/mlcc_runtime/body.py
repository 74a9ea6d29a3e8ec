"""Request body reading with a size cap (413 before buffering more than the limit)."""

from __future__ import annotations

from starlette.requests import Request

from mlcc_runtime.errors import ApiError


async def read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise ApiError(400, "Content-Length is not an integer") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked uploads have no Content-Length to check up front
            raise _too_large(limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body exceeds the limit of {limit} bytes (--max-body-bytes)")


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
    async for chunk in request.stream():
        if chunk:
            return True
    return False
