"""The objects every mlcc workload is made of: ServiceAccount, Service, Deployment, probes.

The inference service and the file API differ only in their containers; the
rest (no token, restricted pods, rolling without downtime, named http port)
is decided once here.
"""

from __future__ import annotations

from typing import Any

from mlcc.model.environment import Environment
from mlcc.k8s.objects import meta, selector
from mlcc.k8s.security import pod_security_context


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
) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security_context(env.spec.runtime.uid),
        "terminationGracePeriodSeconds": 30,
    }
    if init_containers:
        pod["initContainers"] = init_containers
    pod["containers"] = containers
    pod["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, namespace, module, component),
        "spec": {
            "replicas": env.spec.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(name, component)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": meta(name, None, module, component)["labels"]}, "spec": pod},
        },
    }


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
