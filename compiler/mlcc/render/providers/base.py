"""What every provider gives besides objects: what the workload it serves needs.

A provider (storage, routes, runtime injection, autoscaling, GPU scheduling, monitoring)
takes typed inputs and returns the objects to emit plus a `WorkloadNeeds`: the pod and container
settings it requires. Emitters merge the needs into the Deployment and never ask which provider
made them, as score-k8s's provisioners return outputs to its workload renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EnvVar = dict[str, Any]


@dataclass(frozen=True)
class WorkloadNeeds:
    """Settings a provider requires of the container it serves and of its pod."""

    command: tuple[str, ...] | None = None  # None: the provider does not decide the command
    env: tuple[EnvVar, ...] = ()
    volumes: tuple[dict[str, Any], ...] = ()
    mounts: tuple[dict[str, Any], ...] = ()
    init_containers: tuple[dict[str, Any], ...] = ()
    # Pod-level settings (nodeSelector, tolerations, runtimeClassName), set on the pod as given.
    pod: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Allow:
    """Traffic a provider's controller sends to the module's pods, which the module's default-deny
    NetworkPolicy must admit: from the pods labelled `pod_labels` in `namespace` (all of its pods
    when empty) to the `http` port of the module's pods that `to` selects."""

    policy: str  # the NetworkPolicy's name
    namespace: str
    pod_labels: Mapping[str, str]
    to: Mapping[str, Any]  # a podSelector


def secret_env(name: str, secret: str, key: str) -> EnvVar:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def config_env(name: str, config_map: str, key: str) -> EnvVar:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}}}


def value_env(name: str, value: str) -> EnvVar:
    return {"name": name, "value": value}
