"""JSON responses (see jsonio); the error shape ``{"error": ...}`` used by every endpoint."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mlcc_runtime.jsonio import dumps

JSON = "application/json"


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code=status, media_type=JSON, headers=headers)


def raw_json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps({"error": message}), status_code=status, media_type=JSON,
                    headers=headers)
