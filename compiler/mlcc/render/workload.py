"""The objects every mlcc workload is made of: ServiceAccount, Service, Deployment, probes,
and when it may run two replicas or more a PodDisruptionBudget.

The inference service and the file API differ only in their containers; the
rest (no token, restricted pods, rolling without downtime, named http port,
replicas spread over nodes) is decided once here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlcc.k8s.objects import meta, selector
from mlcc.k8s.security import pod_security_context
from mlcc.model.environment import Environment
from mlcc.render.providers.base import WorkloadNeeds

# What the kubelet gives a pod between SIGTERM and SIGKILL unless a workload needs longer
# (Kubernetes' own default).
DEFAULT_GRACE_SECONDS = 30
HOSTNAME = "kubernetes.io/hostname"


@dataclass(frozen=True)
class Replicas:
    """How many pods a Deployment runs: `count`, or None when an autoscaler decides (between its
    bounds, at most `most`)."""

    count: int | None
    most: int

    @classmethod
    def fixed(cls, count: int) -> "Replicas":
        return cls(count, count)


def service_account(name: str, namespace: str, module: str, component: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(name, namespace, module, component),
        "automountServiceAccountToken": False,
    }


def service(name: str, namespace: str, module: str, component: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, namespace, module, component),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name, component),
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def deployment(
    name: str,
    namespace: str,
    module: str,
    component: str,
    env: Environment,
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    init_containers: list[dict[str, Any]] | None = None,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
    replicas: Replicas | None = None,
) -> dict[str, Any]:
    """`grace_seconds`: how long the containers may take to stop after SIGTERM; `replicas`: who
    decides the number of pods (default: the environment's fixed `replicas`)."""
    replicas = replicas or Replicas.fixed(env.spec.replicas)
    pod: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security_context(env.spec.runtime.uid),
        "terminationGracePeriodSeconds": grace_seconds,
    }
    if replicas.most >= 2:
        pod["topologySpreadConstraints"] = [_spread(name, component)]
    if init_containers:
        pod["initContainers"] = init_containers
    pod["containers"] = containers
    pod["volumes"] = volumes
    spec: dict[str, Any] = {}
    if replicas.count is not None:
        # An autoscaler's Deployment has no `replicas`: Argo CD then never resets what the
        # autoscaler set (with the field in Git, every sync or self-heal would scale the
        # Deployment back to it). Argo CD's documentation recommends exactly this ("Best
        # Practices", "Leaving Room For Imperativeness": do not track replicas in Git when a
        # HorizontalPodAutoscaler manages them), as Kubernetes' does for HPAs.
        spec["replicas"] = replicas.count
    spec.update({
        "revisionHistoryLimit": 3,
        "selector": {"matchLabels": selector(name, component)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {"metadata": {"labels": meta(name, None, module, component)["labels"]}, "spec": pod},
    })
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, namespace, module, component),
        "spec": spec,
    }


def _spread(name: str, component: str) -> dict[str, Any]:
    """Replicas on different nodes where the scheduler can: one node going down (or drained)
    then takes one replica, not all. maxSkew 1 over hostnames asks for an even spread;
    ScheduleAnyway keeps it a preference, so a cluster with fewer nodes than replicas (dev,
    a node drained for an upgrade) still runs them all instead of leaving pods Pending.
    `matchLabelKeys: [pod-template-hash]` counts only pods of the same revision, so a rollout's
    new pods spread among themselves rather than around the old ones about to go."""
    return {
        "maxSkew": 1,
        "topologyKey": HOSTNAME,
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": selector(name, component)},
        "matchLabelKeys": ["pod-template-hash"],
    }


def disruption_budget(
    name: str, namespace: str, module: str, component: str, env: Environment, replicas: Replicas | None = None
) -> list[dict[str, Any]]:
    """A PodDisruptionBudget for a workload that may run two replicas or more (none for one: a
    budget for a single pod would block every node drain): voluntary evictions (node drains,
    cluster upgrades, the cluster autoscaler) take at most one of its pods at a time, so it keeps
    serving. An autoscaled workload gets one when its maxReplicas is 2 or more; `maxUnavailable: 1`
    never blocks a drain while it runs fewer (one pod, or none when scaled to zero).
    `unhealthyPodEvictionPolicy: AlwaysAllow` lets a drain evict a pod that is not ready anyway
    (crash-looping, a failed warm-up), so a broken replica never blocks node maintenance."""
    replicas = replicas or Replicas.fixed(env.spec.replicas)
    if replicas.most < 2:
        return []
    return [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta(name, namespace, module, component),
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchLabels": selector(name, component)},
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
            },
        }
    ]


def probes(startup: bool = False) -> dict[str, Any]:
    """Readiness and liveness on the runtime's health endpoints (and a startup probe for slow starts)."""
    found = {
        "readinessProbe": _probe("/v2/health/ready", period=5, failures=3),
        "livenessProbe": _probe("/v2/health/live", period=10, failures=6),
    }
    if startup:
        found["startupProbe"] = _probe("/v2/health/live", period=2, failures=60)
    return found


def _probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": failures}


def add_needs(deployment: dict[str, Any], needs: WorkloadNeeds) -> dict[str, Any]:
    """The Deployment with what a provider or emitter needs added to its pod and first container."""
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    container["env"] = [*container.get("env", []), *needs.env]
    container["volumeMounts"] = [*container.get("volumeMounts", []), *needs.mounts]
    pod["volumes"] = [*pod.get("volumes", []), *needs.volumes]
    if needs.init_containers:
        pod["initContainers"] = [*pod.get("initContainers", []), *needs.init_containers]
    pod.update(needs.pod)
    return deployment
