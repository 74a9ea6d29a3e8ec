"""A DataBox published by an APIComponent → a Deployment of the runtime in `files` mode."""

from __future__ import annotations

from mlcc.environments import Environment
from mlcc.manifests import Resource
from mlcc.model import APIComponent
from mlcc.module import Module
from mlcc.render.mlcomponent import identity_header, resources
from mlcc.render.objects import Emitted, Wave, bounded, meta, selector
from mlcc.render.providers import StorageProvider
from mlcc.render.security import container_security_context, pod_security_context

COMPONENT = "file-api"
PORT = 8080


def service_name(box: str) -> str:
    return bounded(f"files-{box}")


def emit(module: Module, api: Resource[APIComponent], env: Environment, provider: StorageProvider) -> list[Emitted]:
    box = module.databox(api.obj.spec.data_box.name)  # type: ignore[union-attr]
    name, namespace = service_name(box.name), api.obj.metadata.namespace
    access = provider.access(box, "MLCC_BOX_BUCKET")
    where = api.doc.locate(("spec", "dataBox", "name"))
    container = {
        "name": "files",
        "image": env.spec.runtime.image,
        "command": ["mlcc-runtime", "files", "--port", str(PORT), "--box", f"{box.name}={access.url()}"],
        "env": [*access.env, {"name": "MLCC_USER_HEADER", "value": identity_header(api, env)}],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "resources": resources("250m", "128Mi", env),
        "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": "http"}, "periodSeconds": 10},
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(name, namespace, module.name, COMPONENT),
        "automountServiceAccountToken": False,
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, namespace, module.name, COMPONENT),
        "spec": {
            "replicas": env.spec.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(name, COMPONENT)},
            "template": {
                "metadata": {"labels": meta(name, None, module.name, COMPONENT)["labels"]},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": pod_security_context(env.spec.runtime.uid),
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, namespace, module.name, COMPONENT),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name, COMPONENT),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    return [
        Emitted(account, where, Wave.CONFIG),
        Emitted(service, where, Wave.CONFIG),
        Emitted(deployment, where, Wave.WORKLOAD),
    ]
