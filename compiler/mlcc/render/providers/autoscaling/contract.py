"""The autoscaling contract: how many replicas an MLComponent's Deployment runs, and who decides.

The emitter describes the component (`ScaleTarget`); a provider returns the autoscaler's objects
and the Deployment's replica policy (`Scaled`), and says where requests enter when a component
may have no pod at all (`Entry`: an activator that holds the first request while it scales up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mlcc.diagnostics import Location
from mlcc.k8s.objects import Emitted
from mlcc.model.environment import Environment
from mlcc.model.mlcomponent import Scaling
from mlcc.render.providers.base import Allow, WorkloadNeeds

# The runtime's own metrics (runtime-image/mlcc_runtime/metrics.py), per pod.
IN_FLIGHT = "mlcc_requests_in_flight"  # gauge: requests being served
REQUESTS = "mlcc_requests_total"  # counter: requests answered
# What prometheus-adapter's rule (README, "Scaling") names the per-second rate of REQUESTS.
REQUEST_RATE = "mlcc_requests_per_second"


class ScalingError(ValueError):
    """The environment's autoscaler cannot do what the component asks."""


@dataclass(frozen=True)
class ScaleTarget:
    """One MLComponent's Deployment and Service, as an autoscaler sees them."""

    name: str  # the Deployment's and the Service's
    namespace: str
    module: str
    port: int  # the Service's port
    selector: Mapping[str, str]  # the labels of its pods (the Deployment's selector)
    scaling: Scaling | None  # None: a fixed number of replicas
    replicas: int  # the replicas when nothing scales it
    target: int  # the load per replica to scale at (scaling.target or its default)
    answer_seconds: int  # the longest a request may take to answer (the route's timeout)
    where: Location

    @property
    def pod_regex(self) -> str:
        """The names of the Deployment's pods (`<name>-<replicaset hash>-<pod hash>`), as a
        PromQL regular expression: the hashes hold no '-', so another Deployment's pods
        (`<name>-x-…`) never match."""
        return f"{self.name}-[a-z0-9]+-[a-z0-9]+"


@dataclass(frozen=True)
class Entry:
    """Where requests for a component enter when it may be scaled to zero: a Service in another
    namespace that routes by the Host header and holds each request until a pod is ready."""

    service: str
    namespace: str
    port: int
    host: str  # the Host header the activator routes the component's requests by
    wait_seconds: int  # how long it may hold a request before a pod is ready
    allow: Allow  # its pods call the component's pods


@dataclass(frozen=True)
class Scaled:
    objects: list[Emitted]
    # The Deployment's spec.replicas; None when an autoscaler owns it: the field is then left out,
    # so Argo CD never resets what the autoscaler set.
    replicas: int | None
    most: int  # the most replicas that may run: a disruption budget and a spread from 2
    needs: WorkloadNeeds = field(default_factory=WorkloadNeeds)


class AutoscalingProvider(Protocol):
    name: str

    def __init__(self, env: Environment) -> None: ...

    def scale(self, target: ScaleTarget) -> Scaled:
        """The autoscaler's objects and the replica policy (raises ScalingError)."""

    def entry(self, target: ScaleTarget) -> Entry | None:
        """Where the component's requests must enter, when not at its own Service."""


def fixed(target: ScaleTarget) -> Scaled:
    """No autoscaler: the Deployment runs `target.replicas`."""
    return Scaled([], target.replicas, target.replicas)
