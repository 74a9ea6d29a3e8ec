"""One served function: the load-once model, the bounded executor, the FILE exchange.

``Service.infer`` is what both HTTP codecs call after decoding. The function runs on a dedicated
pool of threads (``executor.py``; bounded, so a slow model cannot starve the event loop that
answers health probes and metrics); S3 transfers run on the loop's default executor so they do not take model slots.
With examples, ``Service.warm_up`` runs the first one through the same path before readiness
turns true. With batching on, concurrent requests reach the function together (``batching.py``);
with several worker processes, each has its own ``Service`` and readiness is the pod's: every
worker must be ready (``workers.py``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any, Callable, Sequence

from mlcc_runtime import contract as contract_mod
from mlcc_runtime import identity, jsonio, wire
from mlcc_runtime.batching import Batcher, batch_key
from mlcc_runtime.config import ServeSettings
from mlcc_runtime.errors import ApiError, invalid
from mlcc_runtime.examples import Example
from mlcc_runtime.executor import Job, Pool
from mlcc_runtime.metrics import Metrics
from mlcc_runtime.model_slot import ModelSlot
from mlcc_runtime.request import InferenceRequest
from mlcc_runtime.tensors import normalize_output
from mlcc_runtime.workers import WorkerState

log = logging.getLogger("mlcc_runtime")


class Service:
    def __init__(self, settings: ServeSettings, function: Callable[..., Any],
                 examples: Sequence[Example] = (), worker: WorkerState | None = None) -> None:
        self.settings = settings
        self.function = function
        self.contract = contract_mod.of(function)
        self.examples = list(examples)
        # Each example decoded as /predict decodes it: one that does not fit the contract is a
        # mistake in the image, found at start (ValueError) rather than at warm-up.
        self.example_requests = [self._decode_example(i, e) for i, e in enumerate(self.examples)]
        self.warm = not self.examples  # readiness waits for the warm-up when there are examples
        self.warm_up_error: str | None = None
        self.slot = ModelSlot(function, settings.model_key)
        self.metrics = Metrics()
        self.executor: Pool | None = None
        self._loaded_seen = False
        self.worker = worker  # this process's slot among several worker processes, if any
        self._draining = False
        self.batcher: Batcher | None = None
        if settings.max_batch_size > 1:
            self.batcher = Batcher(settings.max_batch_size, settings.max_batch_latency_ms / 1000,
                                   self._call, self.metrics.batch_rows.observe)
        self.exchange = None
        # Functions declaring a FILE output get a request folder even without FILE inputs.
        self.may_write_files = any("FILE" in f.datatypes for f in self.contract.outputs.values())
        if settings.files is not None:
            from mlcc_runtime.files import FileExchange  # keeps boto3 out of file-less services

            self.exchange = FileExchange(settings.files)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self.executor = Pool(self.settings.threads)
        _freeze()  # the imports, the function's module, the app: alive for good
        if self.exchange is not None:
            self.exchange.prepare()
        self.draining = False

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None

    @property
    def draining(self) -> bool:
        return self._draining

    @draining.setter
    def draining(self, value: bool) -> None:
        self._draining = value
        self._publish()

    def _publish(self) -> None:
        """Tell the other worker processes how this one stands (readiness is the pod's)."""
        if self.worker is None:
            return
        if self._draining:
            self.worker.set(WorkerState.DRAINING)
        elif self.executor is None:
            self.worker.set(WorkerState.STARTING)
        elif self.warm:
            self.worker.set(WorkerState.READY)
        elif self.warm_up_error is not None:
            self.worker.set(WorkerState.FAILED)
        else:
            self.worker.set(WorkerState.WARMING)

    @property
    def ready(self) -> bool:
        own = self.executor is not None and not self._draining and self.warm
        # With several workers, the one that answers speaks for all: a worker still warming up
        # or whose warm-up failed must not hide behind a ready one.
        return own and (self.worker is None or self.worker.all_ready())

    def not_ready_reason(self) -> str:
        if self.worker is not None and self.executor is not None and not self._draining \
                and self.warm:
            return self.worker.reason() or "starting"
        if self._draining:
            return "shutting down"
        if self.executor is None:
            return "starting"
        if self.warm_up_error is not None:
            # Not the error itself: probes are public, exception texts may hold secrets.
            return f"warm-up with example {self.examples[0].name!r} failed; see the service log"
        return f"warming up with example {self.examples[0].name!r}"

    # -- warm-up ----------------------------------------------------------------------------

    def _decode_example(self, index: int, example: Example) -> InferenceRequest:
        try:
            request = wire.decode(jsonio.dumps(example.request), self.contract)
            self.contract.check_inputs(request.inputs)
        except ApiError as exc:
            source = self.settings.examples_file
            raise ValueError(f"{f'examples file {source}: ' if source else ''}examples[{index}] "
                             f"({example.name!r}) does not fit the function's contract: "
                             f"{exc.message}") from None
        return request

    async def warm_up(self) -> None:
        """Run the first example as a /predict call would (model load included); readiness turns
        true when it succeeds, and stays false with the cause logged when it fails.

        The call runs as with identity off (its FILE keys are box keys) and without the inference
        timeout (loading a model may take longer than a request may); the FILE outputs it
        uploads are deleted afterwards.
        """
        example = self.examples[0]
        started = time.perf_counter()
        log.info("warming up with example %r", example.name)
        try:
            request = wire.decode(jsonio.dumps(example.request), self.contract)
            outputs = await self._infer(request, None, warm_up=True)
        except Exception as exc:
            reason = exc.message if isinstance(exc, ApiError) else f"{type(exc).__name__}: {exc}"
            cause = (exc.__cause__ or exc.__context__) if isinstance(exc, ApiError) else exc
            self.warm_up_error = reason
            self._publish()
            log.error("warm-up with example %r failed, readiness stays false: %s", example.name,
                      reason, exc_info=cause)
            return
        keys = [k for o in outputs if o["datatype"] == "FILE" for k in o["data"]]
        if keys and self.exchange is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.exchange.delete_quietly,
                                                             keys)
        self.warm = True
        self._publish()
        log.info("warm-up with example %r passed in %.2f s: ready", example.name,
                 time.perf_counter() - started)

    # -- inference --------------------------------------------------------------------------

    def user_of(self, header_value: str | None, header: str | None = None) -> str | None:
        """The user FILE inputs and outputs belong to; 401 when identity is on and none is named,
        400 when the header is malformed, None when identity is off."""
        header = self.settings.user_header if header is None else header
        try:
            return identity.required_caller(header, header_value)
        except identity.Unauthenticated as exc:
            raise ApiError(401, f"no authenticated user: {exc}") from None
        except ValueError as exc:
            raise invalid(f"{header}: {exc}") from None

    def check_identity(self, header_value: str | None, header: str | None = None) -> None:
        """400 for a malformed identity header; a missing one is fine until a file needs a user."""
        header = self.settings.user_header if header is None else header
        try:
            identity.caller(header, header_value)
        except ValueError as exc:
            raise invalid(f"{header}: {exc}") from None

    async def infer(self, request: InferenceRequest, user_header: str | None) -> list[dict]:
        return await self._infer(request, user_header)

    async def _infer(self, request: InferenceRequest, user_header: str | None,
                     warm_up: bool = False) -> list[dict]:
        # Not `self.ready`: while draining, only readiness answers 503; requests routed here
        # until the endpoints controller has seen it are still served.
        if self.executor is None:
            raise ApiError(503, "service is not ready (starting or shutting down)")
        # The warm-up acts as with identity off: its FILE keys are box keys (the image's own).
        header = "none" if warm_up else self.settings.user_header
        self.contract.check_inputs(request.inputs)
        file_inputs = any(t["datatype"] == "FILE" for t in request.inputs)
        exchange = self.exchange
        if exchange is None:
            if file_inputs:
                raise invalid("this service has no file box configured; FILE inputs are not "
                              "accepted")
            outputs = await self._run(request, warm_up)
            if any(o["datatype"] == "FILE" for o in outputs):
                raise ApiError(500, "inference function returned a FILE output but no file box "
                                    "is configured (--files-bucket)")
            return outputs
        loop = asyncio.get_running_loop()
        if not file_inputs and not self.may_write_files:
            self.check_identity(user_header, header)  # before the function: it may write files
            outputs = await self._run(request, warm_up)
            if not any(o["datatype"] == "FILE" for o in outputs):
                return outputs  # the fast path: no folder, no S3
            try:
                user = self.user_of(user_header, header)
            except ApiError:
                await loop.run_in_executor(None, exchange.discard_outputs, outputs)
                raise
            await loop.run_in_executor(None, exchange.upload_outputs, outputs, user, None, None)
            return outputs
        user = self.user_of(user_header, header)  # before the function runs: no user, no files
        request_id, folder = await loop.run_in_executor(None, exchange.new_request_dir)
        abandoned: list[Any] = []  # the function's future, when it outlived the timeout
        try:
            await loop.run_in_executor(None, exchange.download_inputs, request.inputs, user,
                                       folder)
            outputs = await self._call(request, abandoned, warm_up)
            await loop.run_in_executor(None, exchange.upload_outputs, outputs, user, request_id,
                                       folder)
            return outputs
        finally:
            if abandoned:
                # The function still runs and may still write into the folder: remove it when
                # the function is done, not now (else its late files would be strays).
                abandoned[0].add_done_callback(lambda _: exchange.remove(folder))
            else:
                await loop.run_in_executor(None, exchange.remove, folder)

    async def _run(self, request: InferenceRequest, warm_up: bool) -> list[dict]:
        """The function's answer to a request without FILE exchange: batched with others when
        batching is on and the request can be (not the warm-up: it loads the model alone)."""
        batcher = self.batcher
        if batcher is not None and not warm_up:
            keyed = batch_key(request)
            if keyed is not None:
                return await batcher.infer(request, keyed[0], keyed[1])
        return await self._call(request, warm_up=warm_up)

    async def _call(self, request: InferenceRequest, abandoned: list[Any] | None = None,
                    warm_up: bool = False) -> list[dict]:
        executor = self.executor
        if executor is None:
            raise ApiError(503, "service is not ready (starting or shutting down)")
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            job = executor.submit(loop, self.slot.call, request.parameters, request.inputs,
                                  request.output_fields)
        except RuntimeError:  # shut down between the check and the call
            raise ApiError(503, "service is shutting down") from None
        timeout = 0 if warm_up else self.settings.timeout
        # Our own timer sets its own exception: told apart from a TimeoutError the function
        # raised (socket.timeout of its own client is a failure, not our 504).
        timer = loop.call_later(timeout, _expire, job.future) if timeout > 0 else None
        try:
            try:
                raw = await job.future
            except _Expired:
                _abandon(job, abandoned)
                raise ApiError(504, f"inference did not finish within {timeout:g} s") from None
            except asyncio.CancelledError:  # the client went away
                _abandon(job, abandoned)
                raise
        except ApiError:
            raise
        except ValueError as exc:
            # The documented way for a function to reject its input: the message is for the caller.
            raise invalid(f"invalid input: {exc}") from None
        except Exception as exc:
            if warm_up:  # the warm-up logs it, with the traceback, as the reason it failed
                raise ApiError(500, f"the inference function raised {type(exc).__name__}: "
                                    f"{exc}") from exc
            log.exception("inference function raised")
            raise ApiError(500, "inference function failed; see the service log") from None
        finally:
            if timer is not None:
                timer.cancel()
            self.metrics.inference.observe(time.perf_counter() - started)
        if not self._loaded_seen and self.slot.loaded:
            self._loaded_seen = True
            self.metrics.model_loaded.set(1)
            _freeze()  # and now the model
        if type(raw) is not list and type(raw) is not tuple:
            raise ApiError(500, "inference function must return a list of outputs")
        return [normalize_output(o, i) for i, o in enumerate(raw)]


def _freeze() -> None:
    """Move every object alive now out of the cyclic collector's sight (``gc.freeze``).

    A full collection walks every tracked object: with a model and its libraries loaded that
    is hundreds of thousands, tens of milliseconds, and under load one comes every few seconds
    (the objects of requests in flight get promoted, then freed), which was the whole p99 of
    a batched Iris bench (64 ms with, 11 ms without). Frozen objects are still freed by
    reference counting; only reference cycles among them are never collected.
    """
    gc.freeze()


class _Expired(Exception):
    """The request's inference timeout passed (set by our timer, never by the function)."""


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(_Expired())


def _abandon(job: Job, abandoned: list[Any] | None) -> None:
    """Stop waiting for the function: a queued call is dropped; a running thread cannot be
    killed, so it finishes in the background, its result dropped, and is handed to the caller."""
    if not job.cancel() and abandoned is not None:
        abandoned.append(job)
