"""The Starlette application of ``mlcc-runtime serve``: /predict, the V2 REST API, health,
metrics and the OpenAPI document. Endpoints are plain functions closed over one ``Service``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mlcc_runtime import __version__, boundedjson, datatypes, identity, openapi, v2, wire
from mlcc_runtime.body import read_capped
from mlcc_runtime.errors import ApiError
from mlcc_runtime.fastpath import FastStarlette, fast
from mlcc_runtime.memory import DECODE_RATIO, Budget, Reservation, request_budget
from mlcc_runtime.metrics import ERROR_KINDS
from mlcc_runtime.responses import error_response, json_response, raw_json
from mlcc_runtime.service import Service

log = logging.getLogger("mlcc_runtime")
MODEL_VERSION = "1"
NOT_READY_HEADER = "Mlcc-Not-Ready"
Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")
# Bodies past this size decode on a worker thread: decoding takes ~50 ms per MiB, and the event
# loop must keep answering probes and metrics meanwhile. Smaller ones decode in place (cheaper).
LARGE_BODY = 1024 * 1024
# Large decodes keep a core busy each: at most this many at once (their memory is charged to the
# request budget, see memory.py).
LARGE_DECODES = 2
# How long a request waits for the memory it needs while other requests hold it (then 503).
MEMORY_WAIT = 10.0


def _need(declared: str | None, limit: int) -> int:
    """The memory a request of ``declared`` Content-Length needs at most if made of numbers: the
    decoded values and the body (with its buffer). 0 when unknown or refused anyway."""
    try:
        size = int(declared) if declared else 0
    except ValueError:
        return 0  # read_capped answers 400
    if size <= 0 or size > limit:
        return 0  # nothing to read, or 413 before reading
    ratio = boundedjson.SMALL_RATIO if size <= boundedjson.SMALL else DECODE_RATIO
    return size * (ratio + 2)


def _instrumented(service: Service, endpoint: str, handler: Handler) -> Handler:
    """Count, time and turn ApiError into JSON for one inference endpoint.

    Done per endpoint rather than as middleware: an ASGI middleware layer costs more per request
    than the whole codec for a small model.
    """
    m = service.metrics
    latency = m.latency.labels(endpoint)
    counters: dict[int, Any] = {}  # status -> its requests counter (labels() costs a lock)

    async def endpoint_fn(request: Request) -> Response:
        started = time.perf_counter()
        m.in_flight.inc()
        try:
            response = await handler(request)
        except ApiError as exc:
            if exc.status >= 500:
                log.warning("%s answered %d: %s", endpoint, exc.status, exc.message)
            response = error_response(exc.status, exc.message, exc.headers)
            m.errors.labels(endpoint, ERROR_KINDS.get(exc.status, "other")).inc()
        except Exception:
            log.exception("%s failed", endpoint)
            response = error_response(500, "internal error; see the service log")
            m.errors.labels(endpoint, "internal").inc()
        finally:
            m.in_flight.dec()
        latency.observe(time.perf_counter() - started)
        status = response.status_code
        counter = counters.get(status)
        if counter is None:
            counter = counters[status] = m.requests.labels(endpoint, str(status))
        counter.inc()
        return response

    return fast(endpoint_fn)  # it answers every error itself: no middleware needed


def _model_metadata(service: Service) -> dict[str, Any]:
    def tensors(fields: dict) -> list[dict]:
        out = []
        for f in fields.values():
            t: dict[str, Any] = {
                "name": f.name,
                "datatype": datatypes.v2_name(f.primary) if f.primary else "BYTES",
                "shape": list(f.shape) if f.shape else [-1],
            }
            if f.primary in ("str", "FILE", "dict"):
                t["parameters"] = {"content_type": f.primary}
            out.append(t)
        return out

    return {
        "name": service.settings.model_name,
        "versions": [MODEL_VERSION],
        "platform": "mlcc",
        "inputs": tensors(service.contract.inputs),
        "outputs": tensors(service.contract.outputs),
    }


def create_app(service: Service) -> Starlette:
    settings = service.settings
    limit = settings.max_body_bytes
    user_header = settings.user_header.lower()
    user_key = user_header.encode("latin-1")
    model_name = settings.model_name
    metadata_body = json_response(_model_metadata(service)).body
    server_body = json_response({"name": "mlcc-runtime", "version": __version__,
                                 "extensions": ["binary_tensor_data"]}).body
    openapi_body = json_response(openapi.document(
        service.contract, model_name, list(zip(service.examples, service.example_requests)),
        **openapi.route(settings))).body
    large_decodes = asyncio.Semaphore(LARGE_DECODES)
    # Their own threads, not the loop's default executor: every thread that allocates gets its
    # own malloc arena, and memory one arena freed is not reused by another. Few threads, few
    # arenas: a decode reuses what the previous one gave back.
    decoders = ThreadPoolExecutor(LARGE_DECODES, thread_name_prefix="mlcc-decode")
    budget = Budget(request_budget(settings.memory_limit))

    async def decoded(decode: Callable[..., T], body: bytes | bytearray, *args: Any) -> T:
        if len(body) <= LARGE_BODY:
            return decode(body, *args)
        async with large_decodes:
            return await asyncio.get_running_loop().run_in_executor(decoders, decode, body, *args)

    def check_model(request: Request) -> None:
        params = request.path_params
        if params["model_name"] != model_name:
            raise ApiError(404, f"unknown model {params['model_name']!r}; this service serves "
                                f"{model_name!r}")
        version = params.get("version")
        if version is not None and version != MODEL_VERSION:
            raise ApiError(404, f"unknown version {version!r} of model {model_name!r}; "
                                f"available: [{MODEL_VERSION!r}]")

    async def admitted_body(request: Request, held: Reservation) -> bytes | bytearray:
        """The body, read once the request's memory is admitted (see memory.Reservation)."""
        declared = request.headers.get("content-length")
        await held.admit(_need(declared, limit), MEMORY_WAIT)
        body = await read_capped(request, limit, held.charge)
        if declared is None and len(body) > boundedjson.SMALL:  # chunked: known only now
            await held.admit(len(body) * DECODE_RATIO, MEMORY_WAIT)
        return body

    def caller_header(request: Request) -> str | None:
        """The identity header's value; 400 when it comes more than once (a proxy in front
        may have checked one copy and passed on the other: neither is trusted)."""
        # The raw header list, not request.headers: building that object costs more than this.
        values = [v.decode("latin-1") for k, v in request.scope["headers"] if k == user_key]
        try:
            return identity.single(settings.user_header, values)
        except ValueError as exc:
            raise ApiError(400, f"{settings.user_header}: {exc}") from None

    async def predict(request: Request) -> Response:
        caller = caller_header(request)
        # The body and the decoded request are charged to the budget until the answer is made.
        with Reservation(budget) as held:
            body = await admitted_body(request, held)
            infer_request = await decoded(wire.decode, body, service.contract, held.charge)
            del body  # the function runs with the decoded values only
            held.settle()
            outputs = await service.infer(infer_request, caller)
            return raw_json(wire.encode(outputs))

    async def v2_infer(request: Request) -> Response:
        check_model(request)
        caller = caller_header(request)
        with Reservation(budget) as held:
            body = await admitted_body(request, held)
            infer_request, options = await decoded(v2.decode, body,
                                                   request.headers.get(v2.HEADER_LENGTH),
                                                   service.contract, held.charge)
            del body
            held.settle()
            outputs = await service.infer(infer_request, caller)
            content, header_length = v2.encode(outputs, model_name,
                                               request.path_params.get("version"), options)
        if header_length is None:
            return raw_json(content)
        return Response(content, media_type="application/octet-stream",
                        headers={"Inference-Header-Content-Length": str(header_length)})

    async def server_metadata(request: Request) -> Response:
        return raw_json(server_body)

    # Health (Open Inference Protocol): the status is the answer, 200 true and 400 false, and
    # the body is empty; why a service is not ready is in a header for whoever looks.
    def not_ready() -> Response:
        reason = service.not_ready_reason().encode("ascii", "backslashreplace").decode()
        return Response(status_code=400, headers={NOT_READY_HEADER: reason})

    async def live(request: Request) -> Response:
        return Response()

    async def ready(request: Request) -> Response:
        return Response() if service.ready else not_ready()

    async def model_metadata(request: Request) -> Response:
        try:
            check_model(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        return raw_json(metadata_body)

    async def model_ready(request: Request) -> Response:
        try:
            check_model(request)  # an unknown model is an error (404, JSON), not a "no"
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        return Response() if service.ready else not_ready()

    async def openapi_json(request: Request) -> Response:
        return raw_json(openapi_body)

    async def metrics(request: Request) -> Response:
        return Response(service.metrics.render(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    infer_v2 = _instrumented(service, "v2_infer", v2_infer)
    routes = [
        Route("/predict", _instrumented(service, "predict", predict), methods=["POST"]),
        Route("/v2", server_metadata, methods=["GET"]),
        Route("/v2/health/live", live, methods=["GET"]),
        Route("/v2/health/ready", ready, methods=["GET"]),
        Route("/v2/models/{model_name}", model_metadata, methods=["GET"]),
        Route("/v2/models/{model_name}/versions/{version}", model_metadata, methods=["GET"]),
        Route("/v2/models/{model_name}/ready", model_ready, methods=["GET"]),
        Route("/v2/models/{model_name}/versions/{version}/ready", model_ready, methods=["GET"]),
        Route("/v2/models/{model_name}/infer", infer_v2, methods=["POST"]),
        Route("/v2/models/{model_name}/versions/{version}/infer", infer_v2, methods=["POST"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        log.info("serving %s as model %r", settings.function, model_name,
                 extra={"inputs": sorted(service.contract.inputs),
                        "outputs": sorted(service.contract.outputs)})
        # In the background: the server listens (liveness answers) while the example runs.
        warm_up = None if service.warm else asyncio.create_task(service.warm_up())
        try:
            yield
        finally:
            service.draining = True
            if warm_up is not None:
                warm_up.cancel()
            # Waits for functions still running (uvicorn already waited for their requests).
            await asyncio.get_running_loop().run_in_executor(None, service.stop)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, exc.detail, exc.headers)  # 405: Allow

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return error_response(500, "internal error; see the service log")

    app = FastStarlette(routes=routes, lifespan=lifespan,
                        exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.service = service
    return app
