"""Prometheus metrics of one service; a private registry so several apps can live in one process.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set by the supervisor before
prometheus_client is imported) every worker writes its values into that folder and ``render``
sums them all, so ``/metrics`` of whichever worker answers is the pod's.

In one process, the values are plain Python numbers read by a collector at scrape time:
prometheus_client's own metrics take a lock per update, five updates a request cost more than
3 us (4 % of the runtime's whole cost around a do-nothing function), and every update here
happens on the event loop's thread anyway.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from typing import Any, Iterator

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


class _Value:
    """A counter's or a gauge's value (not thread-safe: updated on the event loop only)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = float(value)


class _Histogram:
    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple) -> None:
        self.bounds = (*bounds, float("inf"))
        self.counts = [0] * len(self.bounds)
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        self.counts[bisect_left(self.bounds, amount)] += 1  # the first bound >= amount
        self.sum += amount


class _Family:
    """A metric with labels: ``labels(*values)`` -> its child (a ``_Value`` or ``_Histogram``)."""

    def __init__(self, kind: str, name: str, doc: str, labelnames: tuple = (),
                 buckets: tuple = ()) -> None:
        self.kind, self.name, self.doc = kind, name, doc
        self.labelnames, self.buckets = labelnames, buckets
        self.children: dict[tuple, Any] = {}
        if not labelnames:
            self.children[()] = self._new()

    def _new(self) -> Any:
        return _Histogram(self.buckets) if self.kind == "histogram" else _Value()

    def labels(self, *values: Any) -> Any:
        key = tuple(str(v) for v in values)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = self._new()
        return child

    @property
    def only(self) -> Any:
        return self.children[()]

    def collect(self) -> Any:
        from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                            HistogramMetricFamily)
        from prometheus_client.utils import floatToGoString

        labels = list(self.labelnames)
        if self.kind == "counter":
            family: Any = CounterMetricFamily(self.name, self.doc, labels=labels)
            for key, child in self.children.items():
                family.add_metric(list(key), child.value)
        elif self.kind == "gauge":
            family = GaugeMetricFamily(self.name, self.doc, labels=labels)
            for key, child in self.children.items():
                family.add_metric(list(key), child.value)
        else:
            family = HistogramMetricFamily(self.name, self.doc, labels=labels)
            for key, child in self.children.items():
                total, buckets = 0, []
                for bound, n in zip(child.bounds, child.counts):
                    total += n
                    buckets.append((floatToGoString(bound), total))
                family.add_metric(list(key), buckets, child.sum)
        return family


class _Collector:
    def __init__(self, families: list[_Family]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        for family in self.families:
            yield family.collect()


class Metrics:
    def __init__(self) -> None:
        self._multiprocess = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not self._multiprocess:
            self._plain()
            return
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

    def _plain(self) -> None:
        """The same metrics as plain numbers, collected at scrape time."""
        requests = _Family("counter", "mlcc_requests", "Inference requests by endpoint and "
                           "status code", ("endpoint", "code"))
        latency = _Family("histogram", "mlcc_request_duration_seconds", "Inference request "
                          "latency, body read to answer", ("endpoint",), _BUCKETS)
        inference = _Family("histogram", "mlcc_inference_duration_seconds", "Time spent inside "
                            "the inference function", (), _BUCKETS)
        errors = _Family("counter", "mlcc_errors", "Failed inference requests by kind",
                         ("endpoint", "kind"))
        in_flight = _Family("gauge", "mlcc_requests_in_flight", "Inference requests being served")
        loaded = _Family("gauge", "mlcc_model_loaded", "1 once the model has been loaded (in "
                         "every worker process)")
        batch_rows = _Family("histogram", "mlcc_batch_rows", "Rows per call of the inference "
                             "function under adaptive batching", (), _ROWS)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector([requests, latency, inference, errors, in_flight,
                                           loaded, batch_rows]))
        self.requests, self.latency, self.errors = requests, latency, errors
        self.inference, self.in_flight = inference.only, in_flight.only
        self.model_loaded, self.batch_rows = loaded.only, batch_rows.only

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
