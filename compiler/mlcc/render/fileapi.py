"""A DataBox published by an APIComponent → a Deployment of the runtime in `files` mode."""

from __future__ import annotations

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, bounded, selector
from mlcc.k8s.security import container_security_context
from mlcc.model import APIComponent
from mlcc.model.environment import Environment
from mlcc.render import workload
from mlcc.render.mlcomponent import identity_header, resources
from mlcc.render.providers.monitoring import MonitoringProvider
from mlcc.render.providers.storage.contract import StorageProvider

COMPONENT = "file-api"
PORT = 8080


def service_name(box: str) -> str:
    return bounded(f"files-{box}")


def emit(
    module: Module, api: Resource[APIComponent], env: Environment, provider: StorageProvider, monitoring: MonitoringProvider
) -> list[Emitted]:
    """The file API's objects (raises StorageError when the store cannot serve outside clients)."""
    box = module.databox(api.obj.spec.data_box.name)  # type: ignore[union-attr]
    name, namespace = service_name(box.name), api.obj.metadata.namespace
    access = provider.access(box, "MLCC_BOX_BUCKET")
    where = api.doc.locate(("spec", "dataBox", "name"))
    container = {
        "name": "files",
        "image": env.spec.runtime.image,
        "command": ["mlcc-runtime", "files", "--port", str(PORT), "--box", f"{box.name}={access.url()}"],
        # The pre-signed URLs are for clients outside the cluster: signed for the address they use.
        "env": [*access.env, *provider.presigning_env(), {"name": "MLCC_USER_HEADER", "value": identity_header(api, env)}],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "resources": resources("250m", "128Mi", env),
        **workload.probes(),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    volumes = [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    return [
        Emitted(workload.service_account(name, namespace, module.name, COMPONENT), where, Wave.CONFIG),
        Emitted(workload.service(name, namespace, module.name, COMPONENT, PORT), where, Wave.CONFIG),
        Emitted(workload.deployment(name, namespace, module.name, COMPONENT, env, [container], volumes), where, Wave.WORKLOAD),
        *(Emitted(b, where, Wave.WORKLOAD) for b in workload.disruption_budget(name, namespace, module.name, COMPONENT, env)),
        *monitoring.objects(name, namespace, module.name, selector(name, COMPONENT), where),
    ]
