"""What every provider gives besides objects: what the workload it serves needs.

A provider (storage, routes, runtime injection; autoscaling, GPU scheduling and monitoring next)
takes typed inputs and returns the objects to emit plus a `WorkloadNeeds`: the pod and container
settings it requires. Emitters merge the needs into the Deployment and never ask which provider
made them, as score-k8s's provisioners return outputs to its workload renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def secret_env(name: str, secret: str, key: str) -> EnvVar:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def config_env(name: str, config_map: str, key: str) -> EnvVar:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}}}


def value_env(name: str, value: str) -> EnvVar:
    return {"name": name, "value": value}
