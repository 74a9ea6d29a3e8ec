"""Routes on Gateway API: an `HTTPRoute` to the Service plus an Envoy Gateway `SecurityPolicy`
for its auth (basic auth, or ext-auth through an OIDC session checker)."""

from __future__ import annotations

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.model import APIComponent
from mlcc.model.environment import Environment, Gateway
from mlcc.render.providers.routes.contract import RouteError, Target, oidc_endpoint


class GatewayRoutes:
    name = "gateway"

    def __init__(self, env: Environment) -> None:
        assert env.spec.routes.gateway is not None  # the environment model guarantees it
        self.env = env
        self.gateway: Gateway = env.spec.routes.gateway

    def objects(self, module: Module, api: Resource[APIComponent], target: Target) -> list[Emitted]:
        where = api.doc.locate(("spec", "restfulApi", "path"))
        # The SecurityPolicy syncs a wave before its HTTPRoute: Envoy Gateway serves a route as
        # soon as it is accepted, and until a policy targets it, without auth.
        return [
            Emitted(_security_policy(module, api, self.env), where, Wave.AUTH),
            Emitted(_http_route(module, api, self.env, target), where, Wave.ROUTE),
        ]

    def controller_namespace(self) -> str:
        return self.gateway.controller_namespace


def _http_route(module: Module, api: Resource[APIComponent], env: Environment, t: Target) -> dict:
    gateway = env.spec.routes.gateway
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name, "namespace": gateway.namespace}  # type: ignore[union-attr]
    if gateway.section_name:  # type: ignore[union-attr]
        parent["sectionName"] = gateway.section_name  # type: ignore[union-attr]
    rewrite: dict = {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": t.internal_prefix or "/"}}
    if t.host:
        rewrite["hostname"] = t.host
    backend: dict = {"name": t.service, "port": t.port}
    if t.namespace:
        # A Service of another namespace: Gateway API admits the reference only with a
        # ReferenceGrant in that namespace naming the route's namespace (README, "Scaling").
        backend["namespace"] = t.namespace
    rule: dict = {
        "matches": [{"path": {"type": "PathPrefix", "value": t.external_prefix}}],
        "filters": [{"type": "URLRewrite", "urlRewrite": rewrite}],
        "backendRefs": [backend],
    }
    if t.timeout is not None:
        # Without it Envoy Gateway keeps Envoy's route timeout of 15 s and cuts requests the
        # runtime still allows.
        rule["timeouts"] = {"request": f"{t.timeout}s"}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta(api.name, api.obj.metadata.namespace, module.name, "route"),
        "spec": {"parentRefs": [parent], "hostnames": [env.spec.domain], "rules": [rule]},
    }


def _security_policy(module: Module, api: Resource[APIComponent], env: Environment) -> dict:
    auth = api.obj.spec.restful_api.auth
    spec: dict = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": api.name}]}
    if auth.basic:
        spec["basicAuth"] = {"users": {"name": auth.basic.credentials}}
    else:
        oidc = oidc_endpoint(api, env)
        service = env.spec.routes.gateway.ext_auth_service  # type: ignore[union-attr]
        if service is None:
            raise RouteError(f"environment '{env.name}' needs routes.gateway.extAuthService for OIDC on Gateway API")
        # headersToBackend belongs to the HTTP service (extAuth.http), as in the upstream CRD: at
        # the extAuth level a strict API server refuses it and a pruning one drops it, so the
        # user header would never reach the runtime.
        spec["extAuth"] = {
            "http": {
                "backendRefs": [{"name": service.name, "namespace": service.namespace, "port": service.port}],
                "headersToBackend": [oidc.user_header],
            },
            "headersToExtAuth": ["cookie", "authorization"],
        }
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": meta(api.name, api.obj.metadata.namespace, module.name, "route"),
        "spec": spec,
    }
