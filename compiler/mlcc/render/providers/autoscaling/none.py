"""No autoscaler: every component runs a fixed number of replicas (with `scaling`, its
minReplicas; `mlcc lint` warns that the load will not move it, MLCC707)."""

from __future__ import annotations

from mlcc.model.environment import Environment
from mlcc.render.providers.autoscaling.contract import Entry, Scaled, ScaleTarget, fixed


class NoAutoscaling:
    name = "none"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def scale(self, target: ScaleTarget) -> Scaled:
        return fixed(target)

    def entry(self, target: ScaleTarget) -> Entry | None:
        return None
