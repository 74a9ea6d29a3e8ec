"""APIComponent → a route from /<namespace>/<path> to its Service, with auth.

Two styles, picked by the environment: ingress-nginx `Ingress`, or Gateway API
`HTTPRoute` plus an Envoy Gateway `SecurityPolicy` for auth. Unpublished APIs
get no route.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcc.environments import Environment
from mlcc.manifests import Resource
from mlcc.model import APIComponent
from mlcc.module import Module
from mlcc.render import fileapi
from mlcc.render.objects import Emitted, Wave, meta

MAX_BODY = "64m"  # the runtime's default request cap


class RouteError(ValueError):
    """The environment cannot express what the APIComponent asks for."""


@dataclass(frozen=True)
class Target:
    service: str
    port: int
    external_prefix: str  # /<namespace>/<path>[/<box>]
    internal_prefix: str  # what the backend sees instead


def target(module: Module, api: Resource[APIComponent]) -> Target:
    spec, namespace = api.obj.spec, api.obj.metadata.namespace
    if spec.data_box:
        box = spec.data_box.name
        return Target(fileapi.service_name(box), fileapi.PORT, f"/{namespace}/{spec.route_path}/{box}", f"/files/{box}")
    component = module.mlcomponent(spec.ml_component.name)  # type: ignore[union-attr]
    return Target(component.name, component.obj.spec.service_port, f"/{namespace}/{spec.route_path}", "")


def emit(module: Module, api: Resource[APIComponent], env: Environment) -> list[Emitted]:
    if not api.obj.spec.published or api.obj.spec.experiment_pipeline:
        return []
    where = api.doc.locate(("spec", "restfulApi", "path"))
    if env.spec.routes.style == "ingress":
        return [Emitted(_ingress(module, api, env), where, Wave.ROUTE)]
    return [Emitted(_http_route(module, api, env), where, Wave.ROUTE), Emitted(_security_policy(module, api, env), where, Wave.ROUTE)]


def _ingress(module: Module, api: Resource[APIComponent], env: Environment) -> dict:
    t = target(module, api)
    auth = api.obj.spec.restful_api.auth
    annotations = {
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/rewrite-target": f"{t.internal_prefix}/$2",
        "nginx.ingress.kubernetes.io/proxy-body-size": MAX_BODY,
    }
    if auth.basic:
        annotations.update(
            {
                "nginx.ingress.kubernetes.io/auth-type": "basic",
                "nginx.ingress.kubernetes.io/auth-secret": auth.basic.credentials,
                "nginx.ingress.kubernetes.io/auth-realm": env.spec.auth.realm,
            }
        )
    else:
        oidc = _oidc(api, env)
        annotations["nginx.ingress.kubernetes.io/auth-url"] = oidc.auth_url
        annotations["nginx.ingress.kubernetes.io/auth-response-headers"] = oidc.user_header
        if oidc.signin_url:
            annotations["nginx.ingress.kubernetes.io/auth-signin"] = oidc.signin_url
    spec: dict = {
        "ingressClassName": env.spec.routes.ingress.class_name,
        "rules": [
            {
                "host": env.spec.domain,
                "http": {
                    "paths": [
                        {
                            "path": f"{t.external_prefix}(/|$)(.*)",
                            "pathType": "ImplementationSpecific",
                            "backend": {"service": {"name": t.service, "port": {"number": t.port}}},
                        }
                    ]
                },
            }
        ],
    }
    if env.spec.routes.tls_secret_name:
        spec["tls"] = [{"hosts": [env.spec.domain], "secretName": env.spec.routes.tls_secret_name}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(api.name, api.obj.metadata.namespace, module.name, "route", annotations=dict(sorted(annotations.items()))),
        "spec": spec,
    }


def _oidc(api: Resource[APIComponent], env: Environment):
    if env.spec.auth.oidc is None:
        raise RouteError(f"APIComponent '{api.name}' asks for OIDC, but environment '{env.name}' names no auth endpoint (spec.auth.oidc)")
    return env.spec.auth.oidc


def _http_route(module: Module, api: Resource[APIComponent], env: Environment) -> dict:
    t = target(module, api)
    gateway = env.spec.routes.gateway
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name, "namespace": gateway.namespace}  # type: ignore[union-attr]
    if gateway.section_name:  # type: ignore[union-attr]
        parent["sectionName"] = gateway.section_name  # type: ignore[union-attr]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta(api.name, api.obj.metadata.namespace, module.name, "route"),
        "spec": {
            "parentRefs": [parent],
            "hostnames": [env.spec.domain],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": t.external_prefix}}],
                    "filters": [
                        {
                            "type": "URLRewrite",
                            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": t.internal_prefix or "/"}},
                        }
                    ],
                    "backendRefs": [{"name": t.service, "port": t.port}],
                }
            ],
        },
    }


def _security_policy(module: Module, api: Resource[APIComponent], env: Environment) -> dict:
    auth = api.obj.spec.restful_api.auth
    spec: dict = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": api.name}]}
    if auth.basic:
        spec["basicAuth"] = {"users": {"name": auth.basic.credentials}}
    else:
        oidc = _oidc(api, env)
        service = env.spec.routes.gateway.ext_auth_service  # type: ignore[union-attr]
        if service is None:
            raise RouteError(f"environment '{env.name}' needs routes.gateway.extAuthService for OIDC on Gateway API")
        spec["extAuth"] = {
            "http": {"backendRefs": [{"name": service.name, "namespace": service.namespace, "port": service.port}]},
            "headersToExtAuth": ["cookie", "authorization"],
            "headersToBackend": [oidc.user_header],
        }
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": meta(api.name, api.obj.metadata.namespace, module.name, "route"),
        "spec": spec,
    }
