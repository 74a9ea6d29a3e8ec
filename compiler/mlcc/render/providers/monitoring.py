"""Monitoring: a Prometheus Operator PodMonitor per runtime Deployment, which scrapes `/metrics`
on the pods' `http` port, and the NetworkPolicy allowance for the Prometheus that scrapes them.
The environment's `spec.monitoring.podMonitor` picks the provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from mlcc.diagnostics import Location
from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.model.environment import Environment
from mlcc.render.providers.base import Allow

METRICS_PATH = "/metrics"
COMPONENT = "monitoring"


class MonitoringProvider(Protocol):
    name: str

    def __init__(self, env: Environment) -> None: ...

    def objects(self, name: str, namespace: str, module: str, selector: Mapping[str, str], where: Location) -> list[Emitted]:
        """What makes the runtime pods `selector` selects scraped."""

    def allows(self) -> list[Allow]:
        """Traffic of the scraper to the module's pods."""


class PodMonitors:
    name = "pod-monitor"

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.monitoring = env.spec.monitoring

    def objects(self, name: str, namespace: str, module: str, selector: Mapping[str, str], where: Location) -> list[Emitted]:
        metadata = meta(name, namespace, module, COMPONENT)
        # The environment's labels are what its Prometheus selects PodMonitors by; mlcc's own win.
        metadata["labels"] = {**self.monitoring.labels, **metadata["labels"]}
        monitor = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": metadata,
            "spec": {
                "selector": {"matchLabels": dict(selector)},
                "podMetricsEndpoints": [{"port": "http", "path": METRICS_PATH}],
            },
        }
        return [Emitted(monitor, where, Wave.WORKLOAD)]

    def allows(self) -> list[Allow]:
        prometheus = self.monitoring.prometheus
        return [Allow("allow-from-prometheus", prometheus.namespace, prometheus.pod_labels, {})]


class NoMonitoring:
    name = "none"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def objects(self, name: str, namespace: str, module: str, selector: Mapping[str, str], where: Location) -> list[Emitted]:
        return []

    def allows(self) -> list[Allow]:
        return []
