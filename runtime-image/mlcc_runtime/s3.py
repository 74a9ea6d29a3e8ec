"""The S3 client, built lazily (boto3 costs ~0.3 s to import and is only needed for file boxes).

Endpoint and credentials follow the AWS conventions: ``AWS_ENDPOINT_URL_S3`` or
``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from mlcc_runtime.errors import ApiError

_lock = threading.Lock()
_clients: dict[str | None, Any] = {}


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def client(endpoint: str | None = None) -> Any:
    """A shared, thread-safe boto3 S3 client (one per endpoint)."""
    endpoint = endpoint or endpoint_url()
    with _lock:
        if endpoint not in _clients:
            import boto3
            from botocore.config import Config

            # Path-style addressing works with every S3-compatible store (MinIO, Ceph, SeaweedFS);
            # virtual hosts need DNS per bucket, which in-cluster endpoints rarely have.
            style = os.environ.get("MLCC_S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
            _clients[endpoint] = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                or "us-east-1",
                config=Config(
                    s3={"addressing_style": style},
                    retries={"max_attempts": _env_int("AWS_MAX_ATTEMPTS", 3), "mode": "standard"},
                    connect_timeout=_env_float("MLCC_S3_CONNECT_TIMEOUT", 5.0),
                    read_timeout=_env_float("MLCC_S3_READ_TIMEOUT", 60.0),
                    signature_version="s3v4",
                ),
            )
        return _clients[endpoint]


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    if not url.startswith("s3://"):
        raise ValueError(f"expected an s3://BUCKET/PREFIX URL, got {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, prefix


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) in ("404", "NoSuchKey", "NotFound")


def as_api_error(exc: BaseException, action: str) -> ApiError:
    """Map a botocore failure to 502 (the store answered badly) or 503 (store unreachable)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    # boto3's transfer manager wraps the store's answer (S3UploadFailedError): report the cause.
    inner: BaseException | None = exc
    while inner is not None and not isinstance(inner, (ClientError, BotoCoreError)):
        inner = inner.__cause__ or inner.__context__
    exc = inner or exc
    if isinstance(exc, ClientError):
        code = error_code(exc) or "error"
        return ApiError(502, f"file box refused to {action}: {code}")
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ApiError(503, f"file box did not answer in time, could not {action}")
    if isinstance(exc, (EndpointConnectionError, ConnectionError)) or "connect" in type(exc).__name__.lower():
        return ApiError(503, f"file box is unreachable, could not {action}")
    if isinstance(exc, BotoCoreError):
        # Not str(exc): botocore messages carry the internal endpoint URL.
        return ApiError(502, f"file box error, could not {action}: {type(exc).__name__}")
    return ApiError(502, f"file box error, could not {action}: {type(exc).__name__}")
