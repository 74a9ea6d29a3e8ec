"""Kubernetes' HorizontalPodAutoscaler (autoscaling/v2).

cpu comes from the resource metrics API (metrics-server): a utilization of the cpu request.
concurrency and rps are Pods metrics of the custom metrics API, which a metrics adapter serves
from Prometheus (prometheus-adapter with the rules in the README, "Scaling"): the runtime's gauge
`mlcc_requests_in_flight` and the per-second rate of its counter `mlcc_requests_total`, named
`mlcc_requests_per_second`. An HPA cannot scale to zero (minReplicas 0 is MLCC705).
"""

from __future__ import annotations

from typing import Any

from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.model.environment import Environment
from mlcc.render.providers.autoscaling.contract import (
    IN_FLIGHT,
    REQUEST_RATE,
    Entry,
    Scaled,
    ScaleTarget,
    ScalingError,
    fixed,
)

COMPONENT = "autoscaling"


class HpaAutoscaling:
    name = "hpa"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def scale(self, target: ScaleTarget) -> Scaled:
        scaling = target.scaling
        if scaling is None:
            return fixed(target)
        if scaling.min_replicas == 0:
            raise ScalingError(
                f"MLComponent '{target.name}' scales to zero, which a HorizontalPodAutoscaler cannot do "
                f"(environment '{self.env.name}' scales with hpa)"
            )
        hpa = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(target.name, target.namespace, target.module, COMPONENT),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target.name},
                "minReplicas": scaling.min_replicas,
                "maxReplicas": scaling.max_replicas,
                "metrics": [_metric(scaling.metric, target.target)],
            },
        }
        # The Deployment leaves `replicas` out: the HPA owns it (see workload.deployment).
        return Scaled([Emitted(hpa, target.where, Wave.WORKLOAD)], None, scaling.max_replicas)

    def entry(self, target: ScaleTarget) -> Entry | None:
        return None


def _metric(metric: str, target: int) -> dict[str, Any]:
    if metric == "cpu":
        return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}
    name = IN_FLIGHT if metric == "concurrency" else REQUEST_RATE
    return {"type": "Pods", "pods": {"metric": {"name": name}, "target": {"type": "AverageValue", "averageValue": str(target)}}}
