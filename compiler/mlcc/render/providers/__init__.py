"""Providers: everything an environment varies, one contract per family, one file per provider.

The environment names the provider of each family (`spec.storage.provider`, `spec.routes.style`,
`spec.runtime.injection`, `spec.autoscaling.provider`, `spec.monitoring.podMonitor`; GPU
scheduling follows `spec.gpu`); `providers_for` builds them once per environment and render. Emitters
take objects and `WorkloadNeeds` from providers and never branch on the environment's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcc.model.environment import Environment
from mlcc.render.providers.autoscaling.contract import AutoscalingProvider
from mlcc.render.providers.autoscaling.hpa import HpaAutoscaling
from mlcc.render.providers.autoscaling.keda import KedaAutoscaling
from mlcc.render.providers.autoscaling.none import NoAutoscaling
from mlcc.render.providers.monitoring import MonitoringProvider, NoMonitoring, PodMonitors
from mlcc.render.providers.routes.contract import RouteProvider
from mlcc.render.providers.routes.gateway import GatewayRoutes
from mlcc.render.providers.routes.ingress import IngressRoutes
from mlcc.render.providers.runtime import CopyRuntime, ImageRuntime, PipRuntime, RuntimeProvider
from mlcc.render.providers.scheduling import Scheduling
from mlcc.render.providers.storage.contract import StorageProvider
from mlcc.render.providers.storage.csi_s3 import CsiS3Provider
from mlcc.render.providers.storage.external import ExternalProvider
from mlcc.render.providers.storage.obc import ObcProvider

STORAGE: dict[str, type[StorageProvider]] = {"obc": ObcProvider, "csi-s3": CsiS3Provider, "external": ExternalProvider}
ROUTES: dict[str, type[RouteProvider]] = {"ingress": IngressRoutes, "gateway": GatewayRoutes}
RUNTIME: dict[str, type[RuntimeProvider]] = {"copy": CopyRuntime, "pip": PipRuntime, "image": ImageRuntime}
AUTOSCALING: dict[str, type[AutoscalingProvider]] = {"hpa": HpaAutoscaling, "keda": KedaAutoscaling, "none": NoAutoscaling}
MONITORING: dict[str, type[MonitoringProvider]] = {"pod-monitor": PodMonitors, "none": NoMonitoring}


@dataclass(frozen=True)
class Providers:
    storage: StorageProvider
    routes: RouteProvider
    runtime: RuntimeProvider
    autoscaling: AutoscalingProvider
    monitoring: MonitoringProvider
    scheduling: Scheduling


def providers_for(env: Environment) -> Providers:
    spec = env.spec
    return Providers(
        storage=STORAGE[spec.storage.provider](env),
        routes=ROUTES[spec.routes.style](env),
        runtime=RUNTIME[spec.runtime.injection](env),
        autoscaling=AUTOSCALING[spec.autoscaling.provider](env),
        monitoring=MONITORING["pod-monitor" if spec.monitoring.pod_monitor else "none"](env),
        scheduling=Scheduling(env),
    )
