"""MLComponent → ServiceAccount, runtime ConfigMap, Deployment, Service, and what its environment
adds: an autoscaler, GPU scheduling, a PodMonitor."""

from __future__ import annotations

import posixpath
from decimal import Decimal

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, bounded, content_hash, meta, selector
from mlcc.k8s.security import container_security_context
from mlcc.model import APIComponent, MLComponent
from mlcc.model.container import SCRATCH
from mlcc.model.environment import Environment
from mlcc.model.quantity import format_bytes, parse_quantity
from mlcc.model.serving import (
    fixed_replicas,
    max_body_bytes,
    max_input_bytes,
    route_timeout,
    scratch_bytes,
    termination_grace,
    workers,
)
from mlcc.model.serving import scale_target as scale_target_value
from mlcc.render import examples, workload
from mlcc.render.providers import Providers
from mlcc.render.providers.autoscaling.contract import ScaleTarget
from mlcc.render.providers.storage.contract import StorageProvider

COMPONENT = "inference"
# Behind basic auth the gateway has checked the password; the runtime reads the user name from it.
BASIC_USER_HEADER = "Authorization"


def emit(module: Module, component: Resource[MLComponent], env: Environment, providers: Providers) -> list[Emitted]:
    name, namespace = component.name, component.obj.metadata.namespace
    where = component.doc.locate(("metadata", "name"))
    config = _runtime_config(module, component, env, providers.storage)
    config_name = f"{name}-runtime-{content_hash(config['data'])}"
    config["metadata"] = meta(config_name, namespace, module.name, COMPONENT)
    example_objects, example_needs = examples.emit(module, component, COMPONENT)
    scaled = providers.autoscaling.scale(scale_target(module, component, env))
    replicas = workload.Replicas(scaled.replicas, scaled.most)
    deployment = _deployment(module, component, env, providers, config_name, replicas)
    gpu_needs = providers.scheduling.needs(component.obj.spec.image.resource_limits.extended)
    for needs in (example_needs, scaled.needs, gpu_needs):
        deployment = workload.add_needs(deployment, needs)
    return [
        Emitted(workload.service_account(name, namespace, module.name, COMPONENT), where, Wave.CONFIG),
        Emitted(config, where, Wave.CONFIG, stem=f"configmap-{name}-runtime"),
        *example_objects,
        Emitted(workload.service(name, namespace, module.name, COMPONENT, component.obj.spec.service_port), where, Wave.CONFIG),
        Emitted(deployment, where, Wave.WORKLOAD),
        *(Emitted(b, where, Wave.WORKLOAD) for b in workload.disruption_budget(name, namespace, module.name, COMPONENT, env, replicas)),
        *scaled.objects,
        *providers.monitoring.objects(name, namespace, module.name, selector(name, COMPONENT), where),
    ]


def scale_target(module: Module, component: Resource[MLComponent], env: Environment) -> ScaleTarget:
    """The component as its autoscaler sees it."""
    spec = component.obj.spec
    return ScaleTarget(
        name=component.name,
        namespace=component.obj.metadata.namespace,
        module=module.name,
        port=spec.service_port,
        selector=selector(component.name, COMPONENT),
        scaling=spec.scaling,
        replicas=fixed_replicas(component.obj, env),
        target=scale_target_value(component.obj, env) if spec.scaling else 0,
        answer_seconds=route_timeout(component.obj),
        where=component.doc.locate(("spec", "scaling")) if spec.scaling else component.doc.locate(("metadata", "name")),
    )


def published_apis(module: Module, component: Resource[MLComponent]) -> list[Resource[APIComponent]]:
    """The published APIComponents that route to the component, in the module's order."""
    return [
        api for api in module.apicomponents
        if api.obj.spec.published and api.obj.spec.ml_component and api.obj.spec.ml_component.name == component.name
    ]


def user_header(module: Module, component: Resource[MLComponent], env: Environment) -> str:
    """The header that carries the caller's identity, or '' when no API passes it through."""
    for api in published_apis(module, component):
        if api.obj.spec.restful_api.auth.identity_pass_through:
            return identity_header(api, env)
    return ""


def public_face(module: Module, component: Resource[MLComponent]) -> dict[str, str]:
    """How callers reach the component, for its OpenAPI document: the route's path prefix and the
    auth the route applies (the first published API's; none when nothing publishes it)."""
    apis = published_apis(module, component)
    if not apis:
        return {"MLCC_PUBLIC_PREFIX": "", "MLCC_SECURITY": "none"}
    spec = apis[0].obj.spec
    return {
        "MLCC_PUBLIC_PREFIX": f"/{apis[0].obj.metadata.namespace}/{spec.route_path}",
        "MLCC_SECURITY": "basic" if spec.restful_api.auth.basic else "oidc",
    }


def identity_header(api: Resource[APIComponent], env: Environment) -> str:
    """Where the route leaves the authenticated user: the OIDC checker's header, or the
    basic-auth `Authorization` header whose password the gateway has already verified."""
    oidc = env.spec.auth.oidc
    return oidc.user_header if api.obj.spec.restful_api.auth.oidc and oidc else BASIC_USER_HEADER


def _runtime_config(module: Module, component: Resource[MLComponent], env: Environment, provider: StorageProvider) -> dict:
    spec = component.obj.spec
    inference = spec.ml_service.inference
    data = {
        "MLCC_FUNCTION": inference.entry_point.python_function,
        "MLCC_PYTHON_PATH": posixpath.normpath(posixpath.join(env.spec.runtime.app_root, inference.entry_point.python_path)),
        "MLCC_MODEL_KEY": inference.model.model_path if inference.model else "default",
        "MLCC_MODEL_NAME": component.name,
        "MLCC_PORT": str(spec.service_port),
        "MLCC_LOG_FORMAT": "json",
        "MLCC_USER_HEADER": user_header(module, component, env) or "none",
        "MLCC_INFERENCE_TIMEOUT": str(inference.serving.timeout_seconds),
        "MLCC_INFERENCE_THREADS": str(inference.serving.threads),
        **public_face(module, component),
        "MLCC_MAX_BODY_BYTES": str(max_body_bytes(component.obj, memory_limit(component.obj, env), workers(component.obj, env))),
        # Worker processes sharing the port, one per whole CPU of the limit unless `serving.workers`.
        "MLCC_WORKERS": str(workers(component.obj, env)),
    }
    if inference.batching is not None:
        data["MLCC_MAX_BATCH_SIZE"] = str(inference.batching.max_batch_size)
        data["MLCC_MAX_BATCH_LATENCY_MS"] = str(inference.batching.max_latency_ms)
    file_box = _file_box(component)
    if file_box is not None:
        box = module.databox(file_box.box_ref.s3_box_name)
        data["MLCC_FILES_PATH"] = inference.file_exchange.inference_files_path  # type: ignore[union-attr]
        data["MLCC_FILES_PREFIX"] = provider.access(box, "MLCC_FILES_BUCKET").key_prefix(file_box.box_ref.sub_path)
        # The download cap of one request, as the scratch volume below is sized from it.
        data["MLCC_MAX_INPUT_BYTES"] = str(max_input_bytes(component.obj, box.obj))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "data": dict(sorted(data.items()))}


def _file_box(component: Resource[MLComponent]):
    exchange = component.obj.spec.ml_service.inference.file_exchange
    if exchange is None:
        return None
    return next(b for b in component.obj.spec.connected_boxes if b.name == exchange.file_box)


def _deployment(
    module: Module, component: Resource[MLComponent], env: Environment, providers: Providers, config_name: str,
    replicas: workload.Replicas,
) -> dict:
    spec = component.obj.spec
    name, namespace = component.name, component.obj.metadata.namespace
    provider = providers.storage
    registry = spec.ml_service.package_registry_name
    runtime = providers.runtime.needs(spec.image.existing_image_name, env.spec.package_registries.get(registry or ""))
    assert runtime.command is not None  # every runtime provider decides how the runtime starts
    volumes = [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}, *runtime.volumes]
    mounts = [{"name": "tmp", "mountPath": SCRATCH}, *runtime.mounts]
    init_containers = list(runtime.init_containers)
    container_env = [*runtime.env, {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}]

    for index, box in enumerate(spec.connected_boxes):
        if box.mount_s3_box is None:
            continue
        databox = module.databox(box.mount_s3_box.s3_box_name)
        volume = bounded(f"box-{box.name}")
        if env.spec.storage.mount == "csi":
            volumes.append(provider.volume(databox, volume))
            mount = {"name": volume, "mountPath": box.path, "readOnly": True}
            if box.mount_s3_box.sub_path:
                mount["subPath"] = box.mount_s3_box.sub_path
            mounts.append(mount)
        else:
            # The sync copies (part of) the box: it never holds more than the box's capacity.
            volumes.append({"name": volume, "emptyDir": {"sizeLimit": databox.obj.spec.s3_default_storage.capacity}})
            mounts.append({"name": volume, "mountPath": box.path, "readOnly": True})
            init_containers.append(_sync_container(env, provider, databox, box, volume))

    file_box = _file_box(component)
    if file_box is not None:
        exchange_box = module.databox(file_box.box_ref.s3_box_name)
        access = provider.access(exchange_box, "MLCC_FILES_BUCKET")
        container_env += access.env
        scratch = format_bytes(scratch_bytes(component.obj, exchange_box.obj, env))
        volumes.append({"name": "inference-files", "emptyDir": {"sizeLimit": scratch}})
        mounts.append({"name": "inference-files", "mountPath": spec.ml_service.inference.file_exchange.inference_files_path})

    container_env += [e.model_dump(by_alias=True) for e in spec.env]
    container = {
        "name": COMPONENT,
        "image": spec.image.existing_image_name,
        "command": list(runtime.command),
        "ports": [{"name": "http", "containerPort": spec.service_port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": config_name}}, *(_env_from(e) for e in spec.env_from)],
        "env": container_env,
        "resources": resources(spec.image.resource_limits.cpu, spec.image.resource_limits.memory, env,
                               spec.image.resource_limits.extended),
        **workload.probes(startup=True),
        "securityContext": container_security_context(),
        "volumeMounts": mounts,
    }
    grace = termination_grace(component.obj)  # drain + inference timeout + the runtime's margin
    return workload.deployment(name, namespace, module.name, COMPONENT, env, [container], volumes, init_containers, grace, replicas)


def _sync_container(env: Environment, provider: StorageProvider, databox, box, volume: str) -> dict:
    access = provider.access(databox, "MLCC_BOX_BUCKET")
    return {
        "name": bounded(f"sync-{box.name}"),
        "image": env.spec.runtime.image,
        "command": ["mlcc-runtime", "sync", access.url(box.mount_s3_box.sub_path), "/box"],
        "env": list(access.env),
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": volume, "mountPath": "/box"}, {"name": "tmp", "mountPath": "/tmp"}],
    }


def _env_from(source) -> dict:
    data = source.model_dump(by_alias=True, exclude_none=True)
    return dict(sorted(data.items()))


def memory_limit(component: MLComponent, env: Environment) -> str:
    """The container's memory limit: the component's, else the environment's default."""
    return component.spec.image.resource_limits.memory or env.spec.resources.default_memory


def resources(cpu: str | None, memory: str | None, env: Environment, extended: dict[str, int] | None = None) -> dict:
    """Limits from the component (or the environment's defaults); requests by the environment's
    ratio. Extended resources (`nvidia.com/gpu`) are requested exactly as much as limited: Kubernetes
    refuses a pod whose extended requests and limits differ (they cannot be overcommitted)."""
    policy = env.spec.resources
    limits = {"cpu": cpu or policy.default_cpu, "memory": memory or policy.default_memory}
    counts = {name: str(count) for name, count in sorted((extended or {}).items())}
    if policy.request_ratio == 1:
        return {"limits": {**limits, **counts}, "requests": {**limits, **counts}}
    ratio = Decimal(str(policy.request_ratio))
    millicores = max(int(parse_quantity(limits["cpu"]) * 1000 * ratio), 1)
    memory_bytes = max(int(parse_quantity(limits["memory"]) * ratio), 1)
    return {"limits": {**limits, **counts}, "requests": {"cpu": f"{millicores}m", "memory": str(memory_bytes), **counts}}
