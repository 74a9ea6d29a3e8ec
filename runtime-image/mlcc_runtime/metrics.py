"""Prometheus metrics of one service; a private registry so several apps can live in one process.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set by the supervisor before
prometheus_client is imported) every worker writes its values into that folder and ``render``
sums them all, so ``/metrics`` of whichever worker answers is the pod's.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# The *_created series double the scrape size and no dashboard uses them.
disable_created_metrics()

# Sub-millisecond buckets: a small model answers in well under a millisecond.
_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
            2.5, 5.0, 10.0, 30.0, 60.0)
_ROWS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("mlcc_requests", "Inference requests by endpoint and status code",
                                ["endpoint", "code"], registry=self.registry)
        self.latency = Histogram("mlcc_request_duration_seconds",
                                 "Inference request latency, body read to answer",
                                 ["endpoint"], buckets=_BUCKETS, registry=self.registry)
        self.inference = Histogram("mlcc_inference_duration_seconds",
                                   "Time spent inside the inference function",
                                   buckets=_BUCKETS, registry=self.registry)
        self.errors = Counter("mlcc_errors", "Failed inference requests by kind",
                              ["endpoint", "kind"], registry=self.registry)
        self.in_flight = Gauge("mlcc_requests_in_flight", "Inference requests being served",
                               registry=self.registry, multiprocess_mode="livesum")
        self.model_loaded = Gauge("mlcc_model_loaded", "1 once the model has been loaded (in "
                                  "every worker process)", registry=self.registry,
                                  multiprocess_mode="livemin")
        self.batch_rows = Histogram("mlcc_batch_rows", "Rows per call of the inference function "
                                    "under adaptive batching", buckets=_ROWS,
                                    registry=self.registry)
        self._multiprocess = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

    def render(self) -> bytes:
        if self._multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, self._multiprocess)
            return generate_latest(registry)
        return generate_latest(self.registry)


class FileApiMetrics:
    """The file API's (``mlcc-runtime files``): one process, its own registry, the request
    series under the same names as ``serve``'s so one dashboard query covers both."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("mlcc_requests", "File API requests by endpoint and status code",
                                ["endpoint", "code"], registry=self.registry)
        self.latency = Histogram("mlcc_request_duration_seconds",
                                 "File API request latency, arrival to answer", ["endpoint"],
                                 buckets=_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("mlcc_requests_in_flight", "File API requests being served",
                               registry=self.registry, multiprocess_mode="livesum")

    def render(self) -> bytes:
        return generate_latest(self.registry)


ERROR_KINDS = {400: "invalid_input", 401: "unauthenticated", 404: "not_found", 413: "too_large", 500: "function_error",
               502: "storage", 503: "unavailable", 504: "timeout"}
