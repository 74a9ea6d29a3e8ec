"""Credentials reach the namespace through the environment's secret store, never through Git.

For every Secret a module needs (basic-auth credentials, S3 credentials) that
the module does not already carry as a SealedSecret/ExternalSecret, an
ExternalSecret is rendered when the environment has a secret store; otherwise
the Secret is expected to exist in the cluster.

Basic-auth credentials hold an htpasswd file under the key `auth`, which is
what ingress-nginx reads. Envoy Gateway's SecurityPolicy reads the key
`.htpasswd` instead, so on Gateway API environments the ExternalSecret also
writes the same file under that key.
"""

from __future__ import annotations

from mlcc.diagnostics import Diagnostic, Location
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.k8s.references import created_secrets, referenced_secrets
from mlcc.model.environment import NAMESPACE_PLACEHOLDER, Environment, SecretStore
from mlcc.render.providers.storage.contract import SharedCredentials

# The key Envoy Gateway's SecurityPolicy basicAuth reads the htpasswd file from.
ENVOY_HTPASSWD_KEY = ".htpasswd"


def needed(module: Module, shared: SharedCredentials | None) -> dict[str, tuple[str | None, Location]]:
    """Secret name → (remote key override, where it is asked for)."""
    wanted: dict[str, tuple[str | None, Location]] = {}
    for api in module.apicomponents:
        basic = api.obj.spec.restful_api.auth.basic
        if basic and api.obj.spec.published:
            where = api.doc.locate(("spec", "restfulApi", "auth", "basic", "credentials"))
            wanted.setdefault(basic.credentials, (None, where))
    if shared is not None and shared.remote_key and module.databoxes:
        where = module.databoxes[0].doc.locate(("metadata", "name"))
        # A key per module when the template names the namespace: its keys reach only its own prefix.
        wanted.setdefault(shared.secret_name, (shared.remote_key.replace(NAMESPACE_PLACEHOLDER, module.namespace or ""), where))
    carried = {item.name for item in module.passthrough}
    return {name: value for name, value in sorted(wanted.items()) if name not in carried}


def basic_auth_secrets(module: Module) -> set[str]:
    return {
        api.obj.spec.restful_api.auth.basic.credentials
        for api in module.apicomponents
        if api.obj.spec.published and api.obj.spec.restful_api.auth.basic
    }


def emit(module: Module, env: Environment, shared: SharedCredentials | None) -> list[Emitted]:
    emitted = []
    store = env.spec.secret_store
    if store is not None:  # without a store, the Secrets must already exist in the namespace
        htpasswd = basic_auth_secrets(module) if env.spec.routes.style == "gateway" else set()
        for name, (remote_key, where) in needed(module, shared).items():
            secret = _external_secret(module, store, name, remote_key)
            if name in htpasswd:
                secret["spec"]["target"]["template"] = {"mergePolicy": "Merge", "data": {ENVOY_HTPASSWD_KEY: "{{ .auth }}"}}
            emitted.append(Emitted(secret, where, Wave.STORAGE))
    # What the module carries itself (SealedSecret, ExternalSecret) is deployed in every environment.
    for item in module.passthrough:
        obj = dict(item.obj)
        obj["metadata"] = {**obj.get("metadata", {}), "namespace": module.namespace}
        emitted.append(Emitted(obj, item.doc.locate(("metadata", "name")), Wave.STORAGE))
    return emitted


def _external_secret(module: Module, store: SecretStore, name: str, remote_key: str | None) -> dict:
    namespace = module.namespace
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": meta(name, namespace, module.name, "credentials"),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": store.kind, "name": store.name},
            "target": {"name": name, "creationPolicy": "Owner"},
            "dataFrom": [{"extract": {"key": remote_key or store.key_template.format(namespace=namespace, name=name)}}],
        },
    }


def unprovided(module: Module, env: Environment, emitted: list[Emitted]) -> list[Diagnostic]:
    """A warning for each Secret an object needs that nothing in the output creates: the pod or
    route would wait for it (or serve without TLS) until someone makes it by hand."""
    made = {name for item in emitted for name in created_secrets(item.obj)}
    users: dict[str, tuple[str, Emitted]] = {}
    for item in emitted:
        for name, use in referenced_secrets(item.obj):
            if name not in made:
                users.setdefault(name, (use, item))
    return [
        Diagnostic(
            "MLCC703",
            f"{item.kind} '{item.name}' needs Secret '{name}' ({use}) in namespace '{module.namespace}', "
            f"and nothing in environment '{env.name}' creates it",
            item.source,
            hint=_how_to_create(name, use, module.namespace or "", env),
        )
        for name, (use, item) in sorted(users.items())
    ]


def _how_to_create(name: str, use: str, namespace: str, env: Environment) -> str:
    store = "give the environment a secret store (spec.secretStore), or carry a SealedSecret in the module, or run: "
    if use == "basic auth":
        # {SHA} is the one htpasswd hash both ingress-nginx (auth_basic) and Envoy Gateway accept;
        # the file goes under `auth` (ingress-nginx) and `.htpasswd` (Envoy Gateway).
        return store + (
            f"htpasswd -nbs USER PASSWORD > auth && kubectl -n {namespace} create secret generic {name} "
            f"--from-file=auth --from-file={ENVOY_HTPASSWD_KEY}=auth"
        )
    if use == "TLS":
        return (
            "name a cert-manager ClusterIssuer in the environment (spec.routes.tlsClusterIssuer), or run: "
            f"kubectl -n {namespace} create secret tls {name} --cert=tls.crt --key=tls.key"
        )
    return store + (
        f"kubectl -n {namespace} create secret generic {name} "
        "--from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=..."
    )
