"""``mlcc-runtime files``: the DataBox file API.

``GET``/``PUT /files/<box>/<path>`` answer JSON with a pre-signed S3 URL to download/upload the
file; the client then talks to S3 directly, so no file bytes pass through this service (a ``PUT``
that carries them is refused, naming the two steps). Paths are relative to the caller's folder
``users/<user>/file_groups/`` (user from the identity header), or full keys inside it — what the
runtime answers for FILE outputs. One segment, or a path ending in ``/``, names a file group:
``GET`` lists its files (each with a URL), ``PUT`` is refused. Several segments without a
trailing ``/`` name a file.

``GET /metrics`` is Prometheus text (its own registry): ``mlcc_requests_total{endpoint,code}``,
``mlcc_request_duration_seconds{endpoint}`` and ``mlcc_requests_in_flight``, ``endpoint`` being
``download`` (GET a file), ``list`` (GET a group) or ``upload`` (PUT); a request refused before
its path is resolved counts under its method's (GET: ``download``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mlcc_runtime import identity, paths, s3
from mlcc_runtime.body import has_body
from mlcc_runtime.config import ConnectionLimits, FileBox
from mlcc_runtime.errors import ApiError
from mlcc_runtime.metrics import FileApiMetrics
from mlcc_runtime.responses import error_response, json_response, raw_json

log = logging.getLogger("mlcc_runtime.files")
MAX_LISTED = 1000


@dataclass(frozen=True)
class Box:
    name: str
    bucket: str
    prefix: str  # "" or ends with "/"


def parse_boxes(specs: list[str]) -> dict[str, Box]:
    boxes: dict[str, Box] = {}
    for spec in specs:
        name, sep, url = spec.strip().partition("=")
        if not sep or not name:
            raise ValueError(f"--box wants NAME=s3://BUCKET/PREFIX, got {spec!r}")
        bucket, prefix = s3.parse_url(url.strip())
        if name in boxes:
            raise ValueError(f"box {name!r} is given twice")
        boxes[name] = Box(name, bucket, FileBox.normalized_prefix(prefix))
    return boxes


def create_app(boxes: dict[str, Box], user_header: str = "X-Forwarded-User",
               expires: int = 900, public_endpoint: str | None = None) -> Starlette:
    header = user_header.lower()
    metrics = FileApiMetrics()

    def signer() -> Any:
        return s3.client(public_endpoint) if public_endpoint else s3.client()

    def resolve(request: Request) -> tuple[Box, str, bool]:
        box = boxes.get(request.path_params["box"])
        if box is None:
            raise ApiError(404, f"unknown box {request.path_params['box']!r}; "
                                f"available: {sorted(boxes)}")
        try:
            user = identity.caller(user_header,
                                   identity.single(user_header, request.headers.getlist(header)))
        except ValueError as exc:
            raise ApiError(400, f"{user_header}: {exc}") from None
        if not user:
            raise ApiError(401, f"no authenticated user: header {user_header} is missing")
        path = request.path_params["path"]
        try:
            paths.clean_key(path, allow_trailing_slash=True)
            key = paths.user_key(path, user)
        except paths.OutsideFolder as exc:
            raise ApiError(403, str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        relative = key[len(paths.user_root(user)):]  # the same rule for full and relative paths
        is_group = relative == "" or relative.endswith("/") or "/" not in relative
        if not is_group:
            try:
                paths.check_file_name(key)
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
        if len((box.prefix + key).encode()) > paths.KEY_MAX:
            raise ApiError(400, f"the key of {path[:80]!r} is longer than {paths.KEY_MAX} bytes")
        return box, key, is_group

    def sign(box: Box, key: str, method: str) -> str:
        operation = "get_object" if method == "GET" else "put_object"
        return signer().generate_presigned_url(
            operation, Params={"Bucket": box.bucket, "Key": box.prefix + key}, ExpiresIn=expires)

    def list_group(box: Box, group: str) -> list[dict]:
        group = group if group.endswith("/") else group + "/"
        page = s3.client().list_objects_v2(Bucket=box.bucket, Prefix=box.prefix + group,
                                           MaxKeys=MAX_LISTED)
        items = []
        for obj in page.get("Contents", []):
            key = obj["Key"][len(box.prefix):]
            if key.endswith("/"):
                continue
            items.append({"key": key, "size": obj["Size"], "url": sign(box, key, "GET")})
        return items

    async def answer(request: Request) -> tuple[str, Response]:
        """The endpoint label for the metrics, and the answer."""
        method = request.method
        endpoint = "upload" if method == "PUT" else "download"
        try:
            box, key, is_group = resolve(request)
            if is_group and method == "GET":
                endpoint = "list"
            loop = asyncio.get_running_loop()
            if method == "PUT" and await has_body(request):
                # Bytes never pass through this service (no caps, memory or timeouts to tune
                # here; S3 takes them directly): say how to upload instead of dropping them.
                raise ApiError(400, "the file API does not take file contents: PUT without a "
                                    "body answers a pre-signed URL ('url'), then PUT the file "
                                    "to that URL")
            if is_group:
                if method == "PUT":
                    raise ApiError(400, f"{request.path_params['path']!r} names a file group; "
                                        "PUT needs a file path (group/file)")
                files = await loop.run_in_executor(None, list_group, box, key)
                return endpoint, json_response({"box": box.name, "group": key, "files": files})
            url = await loop.run_in_executor(None, sign, box, key, method)
            return endpoint, json_response({"box": box.name, "key": key, "method": method,
                                            "url": url, "expires_in": expires})
        except ApiError as exc:
            return endpoint, error_response(exc.status, exc.message, exc.headers)
        except Exception as exc:  # botocore failures
            err = s3.as_api_error(exc, "answer")
            log.warning("file API: %s", err.message)
            return endpoint, error_response(err.status, err.message)

    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        metrics.in_flight.inc()
        try:
            endpoint, response = await answer(request)
        finally:
            metrics.in_flight.dec()
        metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        return response

    async def metrics_text(request: Request) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def live(request: Request) -> Response:
        return raw_json(b'{"live":true}')

    async def ready(request: Request) -> Response:
        return raw_json(b'{"ready":true}')

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, exc.detail, exc.headers)  # 405: Allow

    app = Starlette(
        routes=[
            Route("/files/{box}/{path:path}", handle, methods=["GET", "PUT"]),
            Route("/v2/health/live", live, methods=["GET"]),
            Route("/v2/health/ready", ready, methods=["GET"]),
            Route("/healthz", live, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.metrics = metrics
    return app


def run(boxes: dict[str, Box], *, host: str, port: int, user_header: str, expires: int,
        public_endpoint: str | None, limits: ConnectionLimits | None = None) -> None:
    import uvicorn

    from mlcc_runtime.connections import protocol_class

    limits = limits or ConnectionLimits()
    uvicorn.run(create_app(boxes, user_header, expires, public_endpoint), host=host, port=port,
                http=protocol_class(limits), log_config=None, access_log=False,
                server_header=False)
