"""Adaptive batching: concurrent requests become one call of the function.

Opt-in (``MLCC_MAX_BATCH_SIZE`` above 1). A request is *batchable* when every input has at least
one dimension and all inputs share the first one (its rows, at least 1), and none is ``FILE``.
Batchable requests that agree on everything but their rows (the same inputs in the same order,
each with the same datatype, the same other dimensions and the same ``content_type``, the same
``parameters`` and the same ``output_fields``) wait together in one open batch. The batch is
called when it holds ``max_rows`` rows, or ``max_latency`` seconds after its first request came,
whichever is first; a request that would take it past ``max_rows`` closes it and opens the next
one, and a request with more rows than ``max_rows`` is called alone. The inputs are concatenated
along the first dimension, and every output of the call must have the batch's rows as its first
dimension: it is cut back along it, so each request gets exactly its own rows. An error (the
function's, a timeout, an output that does not split) answers every request of that batch, and
only those. Requests that are not batchable go to the function as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Hashable, NamedTuple

from mlcc_runtime import jsonio
from mlcc_runtime.errors import ApiError
from mlcc_runtime.request import InferenceRequest

log = logging.getLogger("mlcc_runtime")

Call = Callable[[InferenceRequest], Awaitable[list[dict]]]


def batch_key(request: InferenceRequest) -> tuple[Hashable, int] | None:
    """``(key, rows)`` of a batchable request (requests with equal keys may share a call),
    None when it must be called alone."""
    inputs = request.inputs
    if not inputs:
        return None
    rows = -1
    parts = []
    for tensor in inputs:
        shape = tensor["shape"]
        if not shape or tensor["datatype"] == "FILE":
            return None
        if rows < 0:
            rows = shape[0]
            if rows < 1:
                return None
        elif shape[0] != rows:
            return None
        parts.append((tensor["name"], tensor["datatype"], tuple(shape[1:]),
                      tensor.get("content_type")))
    if not request.parameters and not request.output_fields:
        return (tuple(parts), None), rows
    try:  # values may be any JSON: compared by their serialisation (key order included)
        extra = jsonio.dumps([request.parameters, request.output_fields])
    except TypeError:
        return None
    return (tuple(parts), extra), rows


class _Waiter(NamedTuple):
    request: InferenceRequest
    rows: int
    future: asyncio.Future


class _Batch:
    __slots__ = ("waiters", "rows", "timer")

    def __init__(self) -> None:
        self.waiters: list[_Waiter] = []
        self.rows = 0
        self.timer: asyncio.Handle | None = None


class Batcher:
    """The open batches of one service; lives on the event loop (not thread-safe)."""

    def __init__(self, max_rows: int, max_latency: float, call: Call,
                 observe: Callable[[int], None] | None = None) -> None:
        self.max_rows = max_rows
        self.max_latency = max_latency  # seconds
        self._call = call  # runs one (merged) request through the function, outputs normalised
        self._observe = observe  # rows of each call made
        self._open: dict[Hashable, _Batch] = {}
        self._running: set[asyncio.Task] = set()

    async def infer(self, request: InferenceRequest, key: Hashable, rows: int) -> list[dict]:
        if rows > self.max_rows:
            return await self._run_alone(request, rows)
        loop = asyncio.get_running_loop()
        batch = self._open.get(key)
        if batch is not None and batch.rows + rows > self.max_rows:
            self._close(key, batch)
            batch = None
        if batch is None:
            batch = self._open[key] = _Batch()
            batch.timer = loop.call_later(self.max_latency, self._close, key, batch)
        future = loop.create_future()
        batch.waiters.append(_Waiter(request, rows, future))
        batch.rows += rows
        if batch.rows >= self.max_rows:
            self._close(key, batch)
        # A client that goes away cancels only its own wait; the batch runs for the others.
        return await future

    async def _run_alone(self, request: InferenceRequest, rows: int) -> list[dict]:
        if self._observe is not None:
            self._observe(rows)
        return await self._call(request)

    def _close(self, key: Hashable, batch: _Batch) -> None:
        if self._open.get(key) is batch:
            del self._open[key]
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        waiters = [w for w in batch.waiters if not w.future.done()]  # clients still there
        batch.waiters = []
        if not waiters:
            return
        task = asyncio.get_running_loop().create_task(self._run(waiters))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, waiters: list[_Waiter]) -> None:
        rows = sum(w.rows for w in waiters)
        try:
            if self._observe is not None:
                self._observe(rows)
            if len(waiters) == 1:  # nothing to merge or cut
                parts = [await self._call(waiters[0].request)]
            else:
                outputs = await self._call(merge([w.request for w in waiters], rows))
                parts = split(outputs, [w.rows for w in waiters], rows)
        except BaseException as exc:  # noqa: BLE001 - every waiter is answered, whatever happened
            for w in waiters:
                if not w.future.done():
                    w.future.set_exception(_copy(exc))
            if not isinstance(exc, Exception):
                raise
            return
        for w, part in zip(waiters, parts):
            if not w.future.done():
                w.future.set_result(part)


def merge(requests: list[InferenceRequest], rows: int) -> InferenceRequest:
    """One request whose inputs are those of ``requests`` concatenated along the first
    dimension (they share a batch key: same inputs, order, datatypes and other dimensions)."""
    first = requests[0]
    inputs = []
    for i, tensor in enumerate(first.inputs):
        data: list = []
        for r in requests:
            data += r.inputs[i]["data"]
        merged = dict(tensor)
        merged["data"] = data
        merged["shape"] = [rows, *tensor["shape"][1:]]
        inputs.append(merged)
    return InferenceRequest(first.parameters, inputs, first.output_fields)


def split(outputs: list[dict], sizes: list[int], rows: int) -> list[list[dict]]:
    """Cut each output of a batch of ``rows`` rows back into ``sizes`` (normalised outputs:
    flat ``data`` whose length matches ``shape``)."""
    parts: list[list[dict]] = [[] for _ in sizes]
    for out in outputs:
        shape = out["shape"]
        if not shape or shape[0] != rows:
            raise ApiError(500, f"batching: the inference function returned output "
                                f"{out['name']!r} with shape {shape} for a batch of {rows} rows; "
                                "a batchable function returns one row per input row (the first "
                                "dimension of every output is the rows)")
        data = out["data"]
        width = len(data) // rows
        start = 0
        for k, n in enumerate(sizes):
            part = dict(out)
            part["data"] = data[start * width:(start + n) * width]
            part["shape"] = [n, *shape[1:]]
            parts[k].append(part)
            start += n
    return parts


def _copy(exc: BaseException) -> BaseException:
    """A fresh exception per waiter: one object raised in many tasks would collect all their
    tracebacks."""
    if isinstance(exc, ApiError):
        return ApiError(exc.status, exc.message, exc.headers)
    if isinstance(exc, asyncio.CancelledError):
        return ApiError(503, "service is shutting down")
    log.error("batched inference failed", exc_info=exc)
    return ApiError(500, "internal error; see the service log")
