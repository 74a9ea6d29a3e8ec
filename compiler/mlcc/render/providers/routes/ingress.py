"""Routes as ingress-nginx `Ingress` objects, with basic auth or an external OIDC checker."""

from __future__ import annotations

from dataclasses import replace

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, bounded, meta
from mlcc.k8s.references import CERT_MANAGER_ISSUER
from mlcc.model import APIComponent
from mlcc.model.environment import Environment
from mlcc.render.providers.routes.contract import MAX_BODY, Target, oidc_endpoint


class IngressRoutes:
    name = "ingress"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def objects(self, module: Module, api: Resource[APIComponent], target: Target) -> list[Emitted]:
        where = api.doc.locate(("spec", "restfulApi", "path"))
        made = []
        if target.namespace:
            # An Ingress reaches only Services of its own namespace: one of type ExternalName
            # there stands for the Service of the other namespace (ingress-nginx proxies to the
            # name it resolves to).
            upstream = _upstream(module, api, self.env, target)
            made.append(Emitted(upstream, where, Wave.CONFIG))
            target = replace(target, service=upstream["metadata"]["name"])
        return [*made, Emitted(_ingress(module, api, self.env, target), where, Wave.ROUTE)]

    def controller_namespace(self) -> str:
        return self.env.spec.routes.ingress.controller_namespace


def _ingress(module: Module, api: Resource[APIComponent], env: Environment, t: Target) -> dict:
    auth = api.obj.spec.restful_api.auth
    annotations = {
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/rewrite-target": f"{t.internal_prefix}/$2",
        # The runtime's own cap, so nginx refuses (413) what the runtime would, before it is sent on.
        "nginx.ingress.kubernetes.io/proxy-body-size": str(t.max_body or MAX_BODY),
    }
    if env.spec.routes.tls_secret_name and env.spec.routes.tls_cluster_issuer:
        # cert-manager's ingress-shim issues spec.tls[].secretName from this annotation
        # (cert-manager.io/docs/usage/ingress/), in the Ingress's namespace.
        annotations[CERT_MANAGER_ISSUER] = env.spec.routes.tls_cluster_issuer
    if t.timeout is not None:
        # ingress-nginx waits 60 s by default for the backend to read the request and answer.
        annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] = str(t.timeout)
        annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] = str(t.timeout)
    if t.host:
        # The backend routes by the Host header (KEDA's interceptor): send it the one it matches.
        annotations["nginx.ingress.kubernetes.io/upstream-vhost"] = t.host
    if auth.basic:
        annotations.update(
            {
                "nginx.ingress.kubernetes.io/auth-type": "basic",
                "nginx.ingress.kubernetes.io/auth-secret": auth.basic.credentials,
                "nginx.ingress.kubernetes.io/auth-realm": env.spec.auth.realm,
            }
        )
    else:
        oidc = oidc_endpoint(api, env)
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


def _upstream(module: Module, api: Resource[APIComponent], env: Environment, t: Target) -> dict:
    """An ExternalName Service in the route's namespace for `t.service` in `t.namespace`."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(bounded(f"route-{api.name}"), api.obj.metadata.namespace, module.name, "route"),
        "spec": {
            "type": "ExternalName",
            "externalName": f"{t.service}.{t.namespace}.svc.{env.spec.cluster_domain}",
            "ports": [{"name": "http", "port": t.port, "protocol": "TCP"}],
        },
    }
