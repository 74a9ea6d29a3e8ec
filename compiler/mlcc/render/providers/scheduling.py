"""Where pods run: a pod that asks for a GPU goes to the environment's GPU nodes (their labels,
their taints tolerated, the GPU container runtime), and only such pods do — the others keep off
the expensive nodes, whose taints repel them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlcc.model.environment import Environment
from mlcc.render.providers.base import WorkloadNeeds


class Scheduling:
    name = "gpu-nodes"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def needs(self, resources: Iterable[str]) -> WorkloadNeeds:
        """What a pod whose containers ask for `resources` (extended resource names) needs."""
        gpu = self.env.spec.gpu
        if gpu is None or not any(gpu.is_gpu(name) for name in resources):
            return WorkloadNeeds()
        pod: dict[str, Any] = {}
        if gpu.node_selector:
            pod["nodeSelector"] = dict(sorted(gpu.node_selector.items()))
        if gpu.tolerations:
            pod["tolerations"] = [t.model_dump(by_alias=True, exclude_none=True) for t in gpu.tolerations]
        if gpu.runtime_class_name:
            pod["runtimeClassName"] = gpu.runtime_class_name
        return WorkloadNeeds(pod=pod)

