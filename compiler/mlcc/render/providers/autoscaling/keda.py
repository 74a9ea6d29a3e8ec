"""KEDA: a ScaledObject on the runtime's own metrics in Prometheus, and scale to zero through
KEDA's HTTP add-on.

With minReplicas ≥ 1 a ScaledObject's Prometheus trigger reads the sum over the Deployment's
pods of `mlcc_requests_in_flight` (concurrency) or of `rate(mlcc_requests_total[1m])` (rps);
as an AverageValue metric the HPA KEDA makes divides it by the replicas and compares it with
the target. cpu is KEDA's cpu trigger (the resource metrics API, metrics-server).

With minReplicas 0 no pod runs to report metrics, so a request must wake the component: an
HTTPScaledObject (http.keda.sh) has the add-on's interceptor count the requests it proxies,
scale the Deployment from zero, and hold each request until a pod is ready. The add-on makes
the ScaledObject itself; routes then go to the interceptor (`entry`), with a Host header of the
component's own that the HTTPScaledObject matches.
"""

from __future__ import annotations

from typing import Any

from mlcc.k8s.objects import Emitted, Wave, bounded, meta
from mlcc.model.environment import Environment, Keda
from mlcc.render.providers.autoscaling.contract import IN_FLIGHT, REQUESTS, Entry, Scaled, ScaleTarget, fixed
from mlcc.render.providers.base import Allow

COMPONENT = "autoscaling"
RATE_WINDOW = "1m"


class KedaAutoscaling:
    name = "keda"

    def __init__(self, env: Environment) -> None:
        assert env.spec.autoscaling.keda is not None  # the environment model guarantees it
        self.env = env
        self.keda: Keda = env.spec.autoscaling.keda

    def scale(self, target: ScaleTarget) -> Scaled:
        scaling = target.scaling
        if scaling is None:
            return fixed(target)
        made = self._http_scaled_object(target) if scaling.min_replicas == 0 else self._scaled_object(target)
        # The Deployment leaves `replicas` out: KEDA's HPA owns it (see workload.deployment).
        return Scaled([Emitted(made, target.where, Wave.WORKLOAD)], None, scaling.max_replicas)

    def entry(self, target: ScaleTarget) -> Entry | None:
        if target.scaling is None or target.scaling.min_replicas > 0:
            return None
        addon = self.keda.http_add_on
        return Entry(
            addon.interceptor_service,
            addon.namespace,
            addon.interceptor_port,
            host(target),
            addon.cold_start_seconds,
            Allow(bounded(f"allow-http-add-on-{target.name}"), addon.namespace, addon.interceptor_pod_labels,
                  {"matchLabels": dict(target.selector)}),
        )

    def _scaled_object(self, target: ScaleTarget) -> dict[str, Any]:
        scaling = target.scaling
        assert scaling is not None
        return {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": meta(target.name, target.namespace, target.module, COMPONENT),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target.name},
                "minReplicaCount": scaling.min_replicas,
                "maxReplicaCount": scaling.max_replicas,
                "triggers": [self._trigger(target, scaling.metric)],
            },
        }

    def _trigger(self, target: ScaleTarget, metric: str) -> dict[str, Any]:
        if metric == "cpu":
            return {"type": "cpu", "metricType": "Utilization", "metadata": {"value": str(target.target)}}
        pods = f'namespace="{target.namespace}",pod=~"{target.pod_regex}"'
        query = f"sum({IN_FLIGHT}{{{pods}}})" if metric == "concurrency" else f"sum(rate({REQUESTS}{{{pods}}}[{RATE_WINDOW}]))"
        return {
            "type": "prometheus",
            "metricType": "AverageValue",
            "metadata": {"serverAddress": self.keda.prometheus_address, "query": query, "threshold": str(target.target)},
        }

    def _http_scaled_object(self, target: ScaleTarget) -> dict[str, Any]:
        scaling = target.scaling
        assert scaling is not None
        addon = self.keda.http_add_on
        if scaling.metric == "concurrency":
            metric: dict[str, Any] = {"concurrency": {"targetValue": target.target}}
        else:
            metric = {"requestRate": {"targetValue": target.target, "window": RATE_WINDOW, "granularity": "1s"}}
        return {
            "apiVersion": "http.keda.sh/v1alpha1",
            "kind": "HTTPScaledObject",
            "metadata": meta(target.name, target.namespace, target.module, COMPONENT),
            "spec": {
                "hosts": [host(target)],
                "pathPrefixes": ["/"],
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": target.name,
                    "service": target.name,
                    "port": target.port,
                },
                "replicas": {"min": 0, "max": scaling.max_replicas},
                "scalingMetric": metric,
                "scaledownPeriod": addon.scaledown_seconds,
                # The interceptor's defaults would cut requests: it waits 20 s for a pod
                # (KEDA_CONDITION_WAIT_TIMEOUT) and 500 ms for the answer's headers
                # (KEDA_RESPONSE_HEADER_TIMEOUT); a model loading from zero and a slow function
                # need the cold start and the runtime's own timeout.
                "timeouts": {"conditionWait": f"{addon.cold_start_seconds}s", "responseHeader": f"{target.answer_seconds}s"},
            },
        }


def host(target: ScaleTarget) -> str:
    """The Host header of the component's requests through the interceptor: its own, so that
    components of every module share one interceptor (routes rewrite the Host to it)."""
    return f"{target.name}.{target.namespace}"
