"""Render one checked module for one environment: every emitter, then Argo CD annotations."""

from __future__ import annotations

from mlcc.diagnostics import Diagnostic, Location
from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted
from mlcc.model import APIComponent
from mlcc.model.environment import Environment
from mlcc.model.serving import max_body_bytes, route_timeout, workers
from mlcc.render import fileapi, mlcomponent, namespace, secrets
from mlcc.render.providers import Providers, providers_for
from mlcc.render.providers.autoscaling.contract import ScalingError
from mlcc.render.providers.routes.contract import RouteError, Target
from mlcc.render.providers.storage.contract import StorageError

WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


def render_module(module: Module, env: Environment) -> tuple[list[Emitted], list[Diagnostic]]:
    problems = list(_unsupported(module, env))
    if problems:
        return [], problems
    providers = providers_for(env)
    published = {a.obj.spec.ml_component.name for a in module.apicomponents if a.obj.spec.published and a.obj.spec.ml_component}
    published |= {a.obj.spec.data_box.name for a in module.apicomponents if a.obj.spec.published and a.obj.spec.data_box}
    # Who else calls the module's pods: the scraper, an activator in front of scaled-to-zero components.
    allows = providers.monitoring.allows()
    for component in module.mlcomponents:
        entry = providers.autoscaling.entry(mlcomponent.scale_target(module, component, env))
        if entry is not None:
            allows.append(entry.allow)
    emitted = namespace.emit(module, env, published, providers.routes.controller_namespace(), providers.storage.egress(), allows)
    emitted += secrets.emit(module, env, providers.storage.shared_credentials())
    for box in module.databoxes:
        emitted += providers.storage.objects(box, module.name)
    for component in module.mlcomponents:
        try:
            emitted += mlcomponent.emit(module, component, env, providers)
        except ScalingError as exc:
            problems.append(_cannot(env, str(exc), component.doc.locate(("spec", "scaling", "minReplicas"))))
    for api in module.apicomponents:
        if not api.obj.spec.published or api.obj.spec.experiment_pipeline:
            continue  # unpublished APIs get no route
        if api.obj.spec.data_box:
            try:
                emitted += fileapi.emit(module, api, env, providers.storage, providers.monitoring)
            except StorageError as exc:
                problems.append(_cannot(env, f"APIComponent '{api.name}' publishes a file API: {exc}", api.doc.locate(("spec", "dataBox", "name"))))
                continue
        try:
            emitted += providers.routes.objects(module, api, _target(module, api, env, providers))
        except RouteError as exc:
            problems.append(_cannot(env, str(exc), api.doc.locate(("spec", "restfulApi", "auth"))))
    problems += _collisions(emitted, env)
    problems += secrets.unprovided(module, env, emitted)
    return [_annotate(e) for e in emitted], problems


def _target(module: Module, api: Resource[APIComponent], env: Environment, providers: Providers) -> Target:
    """What the API's route points at: the file API of a box, or an MLComponent's Service (or
    the activator in front of it, when its autoscaler may have scaled it to zero)."""
    spec, namespace = api.obj.spec, api.obj.metadata.namespace
    if spec.data_box:
        box = spec.data_box.name
        return Target(fileapi.service_name(box), fileapi.PORT, f"/{namespace}/{spec.route_path}/{box}", f"/files/{box}")
    component = module.mlcomponent(spec.ml_component.name)  # type: ignore[union-attr]
    # The proxy waits as long as the runtime lets the function run (and a little more), and takes
    # the bodies the runtime takes.
    body = max_body_bytes(component.obj, mlcomponent.memory_limit(component.obj, env), workers(component.obj, env))
    external = f"/{namespace}/{spec.route_path}"
    entry = providers.autoscaling.entry(mlcomponent.scale_target(module, component, env))
    if entry is not None:
        # Through the activator, the wait for a pod comes first.
        return Target(entry.service, entry.port, external, "", route_timeout(component.obj) + entry.wait_seconds, body,
                      namespace=entry.namespace, host=entry.host)
    return Target(component.name, component.obj.spec.service_port, external, "", route_timeout(component.obj), body)


def _unsupported(module: Module, env: Environment):
    """What this environment cannot express for the module, found before emitting anything."""
    for component in module.mlcomponents:
        registry = component.obj.spec.ml_service.package_registry_name
        if env.spec.runtime.injection == "pip" and registry is None:
            yield _cannot(
                env,
                f"environment '{env.name}' installs the runtime with pip, but '{component.name}' names no packageRegistryName",
                component.doc.locate(("spec", "mlService")),
            )
    for api in module.apicomponents:
        oidc = api.obj.spec.restful_api.auth.oidc
        if oidc and oidc.groups and api.obj.spec.published:
            # Neither route style can pass the allowed groups to the auth endpoint; rendering the
            # route anyway would open the API to every signed-in user.
            yield _cannot(
                env,
                f"APIComponent '{api.name}' admits only the groups {', '.join(oidc.groups)}, but environment "
                f"'{env.name}' cannot restrict OIDC by group; the API would be open to every signed-in user",
                api.doc.locate(("spec", "restfulApi", "auth", "oidc", "groups")),
            )
        if api.obj.spec.experiment_pipeline and api.obj.spec.published:
            yield _cannot(
                env,
                f"APIComponent '{api.name}' publishes an ExperimentPipeline; this mlcc version renders no pipelines",
                api.doc.locate(("spec", "experimentPipeline")),
            )


def _cannot(env: Environment, message: str, where: Location) -> Diagnostic:
    return Diagnostic("MLCC702", message, where, hint=f"change the module or environment '{env.name}'")


def _collisions(emitted: list[Emitted], env: Environment) -> list[Diagnostic]:
    seen: dict[str, Emitted] = {}
    problems = []
    for item in emitted:
        first = seen.setdefault(item.file_name, item)
        if first is not item:
            problems.append(
                _cannot(env, f"{item.kind} '{item.name}' would be generated twice; a name collides with a generated one", item.source)
            )
    return problems


def _annotate(item: Emitted) -> Emitted:
    metadata = item.obj["metadata"]
    annotations = dict(metadata.get("annotations", {}))
    annotations[WAVE] = str(int(item.wave))
    if item.keeps_data:
        annotations[SYNC_OPTIONS] = "Prune=false,Delete=false"
    metadata["annotations"] = dict(sorted(annotations.items()))
    return item

